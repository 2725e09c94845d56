package io.idem.bench.jobs;

/**
 * The job JobRunr runs: a static method, so that JobRunr's background job server calls it without
 * an IoC container or an instance (JobRunr stores the class, method and argument of the enqueued
 * lambda as JSON and invokes them by reflection).
 */
public final class JobRunrNoop {

  private JobRunrNoop() {}

  /** Reports job {@code index} to the run in progress; nothing else. */
  public static void execute(int index) {
    Executions.current().executed(index);
  }
}
