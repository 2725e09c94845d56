package io.idem.server;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.InProgressPolicy;
import io.idem.Ticker;
import io.idem.job.Jobs;
import io.idem.lock.LockManager;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.spi.LockStore;
import io.idem.spi.ProcessedSetStore;
import io.idem.tracker.Trackers;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * One tenant's stores and the facades over them. Every record, job, lock and tracker of a tenant
 * lives in its own stores (its own SQLite file, PostgreSQL schema or Redis prefix), so one tenant
 * cannot read, change or even detect another's items.
 */
public final class TenantStores implements AutoCloseable {

  private final String tenant;
  private final IdempotencyStore idempotencyStore;
  private final JobStore jobStore;
  private final LockStore lockStore;
  private final ProcessedSetStore setStore;
  private final Idem idem;
  private final Jobs jobs;
  private final LockManager locks;
  private final Trackers trackers;
  private final LockRegistry lockRegistry;
  private final List<AutoCloseable> resources;

  TenantStores(
      String tenant,
      IdempotencyStore idempotencyStore,
      JobStore jobStore,
      LockStore lockStore,
      ProcessedSetStore setStore,
      Jobs.Builder jobs,
      List<AutoCloseable> resources,
      Clock clock,
      Ticker ticker) {
    this.tenant = tenant;
    this.idempotencyStore = idempotencyStore;
    this.jobStore = jobStore;
    this.lockStore = lockStore;
    this.setStore = setStore;
    this.idem =
        Idem.builder(idempotencyStore)
            .clock(clock)
            .ticker(ticker)
            .defaultPolicy(IdemPolicy.builder().onInProgress(InProgressPolicy.reject()).build())
            .build();
    this.jobs = jobs.build();
    this.locks = LockManager.builder(lockStore).ticker(ticker).build();
    this.trackers = Trackers.create(setStore, locks);
    this.lockRegistry = new LockRegistry(lockStore, clock);
    this.resources = new ArrayList<>(resources);
  }

  public String tenant() {
    return tenant;
  }

  public IdempotencyStore idempotencyStore() {
    return idempotencyStore;
  }

  public JobStore jobStore() {
    return jobStore;
  }

  public LockStore lockStore() {
    return lockStore;
  }

  public ProcessedSetStore setStore() {
    return setStore;
  }

  /**
   * Idem over the tenant's records; concurrent duplicates are rejected (HTTP 409), never waited.
   */
  public Idem idem() {
    return idem;
  }

  public Jobs jobs() {
    return jobs;
  }

  public LockManager locks() {
    return locks;
  }

  public Trackers trackers() {
    return trackers;
  }

  /** The locks acquired through the API ({@code GET /v1/locks}, the dashboard). */
  public LockRegistry lockRegistry() {
    return lockRegistry;
  }

  @Override
  public void close() {
    idem.close();
    locks.close();
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // closing anyway
      }
    }
  }
}
