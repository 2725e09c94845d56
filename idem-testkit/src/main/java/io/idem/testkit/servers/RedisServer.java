package io.idem.testkit.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real Redis for tests: either one this class runs ({@code redis-server} from the PATH, or else
 * the Linux binary shipped in {@code com.github.codemonstur:embedded-redis} on Maven Central) on a
 * random port bound to 127.0.0.1 with persistence off; or an existing server named by a URI. A
 * managed server can be stopped, killed and started again on the same port. It runs in a folder
 * {@code idem-redis-<pid>-<random>} under the temp folder (its working folder, log and pid file),
 * which {@link #close} deletes after stopping it; a shutdown hook closes it when the JVM ends, and
 * the folders of JVMs that ended without their hooks are swept by the next one (see {@link
 * RunFolders}). Thread-safe.
 */
public final class RedisServer implements AutoCloseable {

  private static final String BUNDLED = "redis-server-6.2.6-v5-linux-amd64";

  private final String host;
  private final int port;
  private final @Nullable String binary;
  private final @Nullable Path dir;
  private final @Nullable Path log;
  private @Nullable Process process;

  private RedisServer(String host, int port, @Nullable String binary, @Nullable Path dir) {
    this.host = host;
    this.port = port;
    this.binary = binary;
    this.dir = dir;
    this.log = dir == null ? null : dir.resolve("redis.log");
  }

  /** An existing server: {@code redis://host:port}. */
  public static RedisServer external(String uri) {
    URI u = URI.create(uri);
    return new RedisServer(u.getHost(), u.getPort() < 0 ? 6379 : u.getPort(), null, null);
  }

  /**
   * Runs a new server; returns when it accepts connections. It is stopped and its folder deleted by
   * {@link #close}, or by a shutdown hook when the JVM ends.
   */
  public static synchronized RedisServer startManaged() {
    try {
      Path onPath = Processes.onPath("redis-server");
      String binary = onPath != null ? onPath.toString() : bundled().toString();
      RedisServer server =
          new RedisServer("127.0.0.1", Processes.freePort(), binary, RunFolders.create("redis"));
      Files.createFile(server.log);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "idem-redis-stop"));
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Redis: " + e.getMessage(), e);
    }
  }

  /** The bundled binary, copied once per machine and version under the temp folder. */
  private static Path bundled() throws IOException {
    Path target = RunFolders.tmp().resolve("idem-" + BUNDLED);
    if (Files.isExecutable(target)) {
      return target;
    }
    Path folder = RunFolders.create("staging");
    try {
      Path staging = folder.resolve("redis-server");
      try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(BUNDLED)) {
        if (in == null) {
          throw new IllegalStateException(
              "no redis-server on the PATH and " + BUNDLED + " is not on the classpath");
        }
        Files.copy(in, staging, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (!Files.isExecutable(target)) {
          throw e;
        }
      }
    } finally {
      RunFolders.delete(folder);
    }
    return target;
  }

  /** The folder of a managed server (working folder, log and pid file), or null. */
  @Nullable Path folder() {
    return dir;
  }

  /** True when this class runs the server. */
  public boolean isManaged() {
    return binary != null;
  }

  /** {@code redis://host:port}. */
  public String uri() {
    return "redis://" + host + ":" + port;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** {@code host:port}, for messages. */
  public String hostPort() {
    return host + ":" + port;
  }

  /** Starts the managed server (again) on the same port. */
  public synchronized void start() {
    requireManaged("start");
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process =
          new ProcessBuilder(
                  List.of(
                      binary,
                      "--port",
                      String.valueOf(port),
                      "--dir",
                      dir.toString(),
                      "--bind",
                      "127.0.0.1",
                      "--save",
                      "",
                      "--appendonly",
                      "no",
                      "--daemonize",
                      "no",
                      "--maxclients",
                      "2000"))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      Files.writeString(dir.resolve(RunFolders.REDIS_PID), RunFolders.describe(process.toHandle()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary + ": " + e.getMessage(), e);
    }
    Processes.awaitListening(port, true, Duration.ofSeconds(30), log);
  }

  /** Stops the managed server; {@code kill} is a crash (SIGKILL), else a clean SIGTERM. */
  public synchronized void stop(boolean kill) {
    requireManaged("stop");
    Process p = process;
    if (p == null) {
      return;
    }
    if (kill) {
      p.destroyForcibly();
    } else {
      p.destroy();
    }
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
    Processes.awaitListening(port, false, Duration.ofSeconds(30), log);
  }

  /** Stops and starts the managed server (its data is gone: persistence is off). */
  public void restart() {
    stop(false);
    start();
  }

  private void requireManaged(String what) {
    if (binary == null) {
      throw new IllegalStateException(
          "cannot " + what + " the external Redis at " + uri() + " (IDEM_TEST_REDIS_URL)");
    }
  }

  /**
   * Stops a managed server and deletes its folder; an external one is left alone. Closing twice
   * does nothing more.
   */
  @Override
  public synchronized void close() {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try {
      if (process != null) {
        stop(false);
      }
    } catch (RuntimeException e) {
      System.err.println("idem test kit: cannot stop " + this + ": " + e);
    } finally {
      RunFolders.delete(dir);
    }
  }

  @Override
  public String toString() {
    return "RedisServer[" + hostPort() + (isManaged() ? ", managed" : ", external") + "]";
  }
}
