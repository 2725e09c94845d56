package io.idem.testkit.servers;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A JVM for {@link TestServersTest}: starts a child JVM that calls {@link
 * ParentWatch#haltWhenParentEnds}, prints {@code CHILD <pid>}, and waits until it is killed.
 */
public final class WatchingParent {

  private WatchingParent() {}

  public static void main(String[] args) throws Exception {
    ParentWatch.haltWhenParentEnds(); // itself a child of the test JVM
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Watched.class.getName())
            .redirectErrorStream(true)
            .start();
    // only once the child watches this JVM: killed earlier, it would watch its new parent
    String line =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    if (!"WATCHING".equals(line)) {
      throw new IllegalStateException("the child said " + line);
    }
    System.out.println("CHILD " + child.pid());
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }

  /** The watched child: ends only when its parent does. */
  public static final class Watched {
    private Watched() {}

    public static void main(String[] args) throws Exception {
      ParentWatch.haltWhenParentEnds();
      System.out.println("WATCHING");
      System.out.flush();
      Thread.currentThread().join();
    }
  }
}
