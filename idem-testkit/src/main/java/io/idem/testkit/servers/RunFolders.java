package io.idem.testkit.servers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The folders the managed servers of a test JVM run in: {@code idem-<kind>-<pid>-<random>} under
 * the temp folder, with an {@code owner} file naming the JVM (pid, start time, pid namespace). A
 * server deletes its folder when it is closed (at the latest by the shutdown hook of {@link
 * TestServers}); the folders of a JVM that died without running its hooks (kill -9) are swept by
 * the next JVM that starts a server: its servers stopped, the folder deleted. Folders of live JVMs,
 * of other pid namespaces, and of any other name are left alone.
 */
final class RunFolders {

  static final String OWNER = "owner";

  /** The pid file a managed Redis writes in its folder: its pid and start time. */
  static final String REDIS_PID = "redis.pid";

  /** A folder without an owner file is being made, unless it is older than this. */
  private static final Duration UNOWNED_GRACE = Duration.ofHours(1);

  private static final Pattern NAME = Pattern.compile("idem-(pg|redis|staging)-(\\d+)-[^/]+");

  private static boolean swept;

  private RunFolders() {}

  static Path tmp() {
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** A new folder {@code idem-<kind>-<pid>-<random>} owned by this JVM. */
  static Path create(String kind) throws IOException {
    sweepOnce();
    ProcessHandle me = ProcessHandle.current();
    Path dir = Files.createTempDirectory(tmp(), "idem-" + kind + "-" + me.pid() + "-");
    Files.writeString(dir.resolve(OWNER), describe(me), StandardCharsets.UTF_8);
    return dir;
  }

  /** Sweeps the temp folder once per JVM. */
  static synchronized void sweepOnce() {
    if (!swept) {
      swept = true;
      sweep(tmp());
    }
  }

  /**
   * Stops the servers of, and deletes, every run folder under {@code tmp} whose JVM is gone;
   * returns the folders deleted.
   */
  static List<Path> sweep(Path tmp) {
    List<Path> deleted = new ArrayList<>();
    String ns = pidNamespace();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, "idem-*")) {
      for (Path dir : entries) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (!m.matches() || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        if (!stale(dir, Long.parseLong(m.group(2)), ns)) {
          continue;
        }
        switch (m.group(1)) {
          case "pg" -> PostgresServer.killLeftover(dir);
          case "redis" -> killRedis(dir);
          default -> {} // staging: nothing runs there
        }
        if (delete(dir)) {
          deleted.add(dir);
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("idem test kit: cannot sweep " + tmp + ": " + e);
    }
    return deleted;
  }

  /** True when the JVM that made {@code dir} is gone. */
  private static boolean stale(Path dir, long pidInName, String ns) {
    Owner owner = readOwner(dir);
    if (owner == null) {
      // being made right now, or its JVM died between making it and writing the owner file
      return age(dir).compareTo(UNOWNED_GRACE) > 0 && ProcessHandle.of(pidInName).isEmpty();
    }
    if (!owner.ns().equals(ns)) {
      return false; // another pid namespace: its pids mean nothing here
    }
    return !alive(owner.pid(), owner.start());
  }

  private static Duration age(Path dir) {
    try {
      FileTime t = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS);
      return Duration.between(t.toInstant(), Instant.now());
    } catch (IOException e) {
      return Duration.ZERO;
    }
  }

  /** Kills the Redis of a stale folder, when it still runs. */
  private static void killRedis(Path dir) {
    Owner server = read(dir.resolve(REDIS_PID));
    if (server == null || !alive(server.pid(), server.start())) {
      return;
    }
    ProcessHandle.of(server.pid())
        .filter(h -> h.info().command().map(c -> c.contains("redis")).orElse(false))
        .ifPresent(RunFolders::kill);
  }

  /** SIGKILL, and waits up to 10 s for the end. */
  static void kill(ProcessHandle h) {
    h.destroyForcibly();
    try {
      h.onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // gone or not: the folder is deleted anyway
    }
  }

  /** One line: pid, start time in epoch ms (or -1), pid namespace. */
  static String describe(ProcessHandle h) {
    long start = h.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
    return h.pid() + " " + start + " " + pidNamespace() + "\n";
  }

  /** True when process {@code pid} runs and started at {@code start} (-1: not known). */
  static boolean alive(long pid, long start) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (h.isEmpty()) {
      return false;
    }
    if (start < 0) {
      return true;
    }
    return h.get().info().startInstant().map(i -> i.toEpochMilli() == start).orElse(true);
  }

  private record Owner(long pid, long start, String ns) {}

  private static @Nullable Owner readOwner(Path dir) {
    return read(dir.resolve(OWNER));
  }

  private static @Nullable Owner read(Path file) {
    try {
      String[] f = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
      return new Owner(Long.parseLong(f[0]), Long.parseLong(f[1]), f.length > 2 ? f[2] : "?");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** This process's pid namespace ({@code pid:[inode]}), or "?" where there is none. */
  static String pidNamespace() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** Deletes {@code dir} and everything in it; true when it is gone. */
  static boolean delete(Path dir) {
    for (int attempt = 0; attempt < 3 && Files.exists(dir, LinkOption.NOFOLLOW_LINKS); attempt++) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      } catch (IOException | RuntimeException e) {
        // a server that just died may still be writing in it: once more
      }
    }
    return !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
  }
}
