package io.idem.testkit.servers;

/**
 * For the main class of a child JVM that a test starts (crash tests): the child ends when the JVM
 * that started it ends, so that no child outlives its test run, even when the test JVM is killed
 * and cannot run its {@code @AfterEach} or shutdown hooks.
 */
public final class ParentWatch {

  /** The exit status of a child whose parent ended. */
  public static final int PARENT_GONE = 3;

  private ParentWatch() {}

  /**
   * Halts this JVM when its parent process ends (noticed within a few seconds: the JDK polls a
   * process that is not its own child). Call it first in the child's {@code main}.
   */
  public static void haltWhenParentEnds() {
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    if (parent == null || !parent.isAlive()) {
      Runtime.getRuntime().halt(PARENT_GONE);
      return;
    }
    parent.onExit().thenRun(() -> Runtime.getRuntime().halt(PARENT_GONE));
  }
}
