package io.idem.testkit.servers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers to run server binaries as child processes. */
final class Processes {

  /** The uid and gid servers run as when the tests run as root (PostgreSQL refuses root). */
  static final String NOBODY = "65534";

  private Processes() {}

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** {@code command}, prefixed to run as nobody when this JVM is root. */
  static List<String> asServerUser(List<String> command) {
    if (!isRoot()) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add(findOnPath("setpriv"));
    wrapped.add("--reuid=" + NOBODY);
    wrapped.add("--regid=" + NOBODY);
    wrapped.add("--clear-groups");
    wrapped.addAll(command);
    return wrapped;
  }

  /** Runs {@code command} to its end; its output goes to {@code log}. */
  static void run(List<String> command, Path log, Duration timeout) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "timed out after " + timeout + ": " + command + "\n" + tail(log));
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "exit " + p.exitValue() + ": " + command + "\n" + tail(log));
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + command, e);
    }
  }

  /** The last lines of {@code log}, for error messages. */
  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** A free TCP port on the loopback interface. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port on 127.0.0.1", e);
    }
  }

  /** True when something accepts connections at 127.0.0.1:{@code port}. */
  static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits until {@code port} accepts (or no longer accepts) connections. */
  static void awaitListening(int port, boolean up, Duration timeout, Path log) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (listening(port) != up) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "port "
                + port
                + (up ? " did not open" : " did not close")
                + " within "
                + timeout
                + "\n"
                + tail(log));
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** The absolute path of {@code program} on the PATH. */
  static String findOnPath(String program) {
    Path found = onPath(program);
    if (found == null) {
      throw new IllegalStateException(program + " is not on the PATH");
    }
    return found.toString();
  }

  static Path onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Makes {@code dir} readable and traversable by every user (for a server run as nobody). */
  static void openUp(Path dir) throws IOException {
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** Gives {@code dir} to the server user when this JVM is root. */
  static void giveToServerUser(Path dir) throws IOException {
    if (isRoot()) {
      Files.setAttribute(dir, "unix:uid", Integer.parseInt(NOBODY));
      Files.setAttribute(dir, "unix:gid", Integer.parseInt(NOBODY));
    }
  }
}
