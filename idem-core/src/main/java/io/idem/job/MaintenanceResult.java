package io.idem.job;

/**
 * What one maintenance pass of a job store changed.
 *
 * @param recovered RUNNING jobs whose lease had passed, queued again
 * @param dead RUNNING jobs whose lease had passed with their attempts used up, now DEAD
 * @param expired waiting jobs past their expiry, now EXPIRED
 * @param promoted SCHEDULED or FAILED jobs whose run time came, now QUEUED
 */
public record MaintenanceResult(int recovered, int dead, int expired, int promoted) {

  /** Nothing changed. */
  public static final MaintenanceResult NONE = new MaintenanceResult(0, 0, 0, 0);

  public MaintenanceResult plus(MaintenanceResult o) {
    return new MaintenanceResult(
        recovered + o.recovered, dead + o.dead, expired + o.expired, promoted + o.promoted);
  }
}
