package io.idem.server;

import io.idem.Ticker;
import io.idem.job.JobState;
import io.idem.job.JobStats;
import io.javalin.Javalin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: the server's meters in the Prometheus text format (version 0.0.4). Like
 * {@code /health} it needs no API key: it gives counts per tenant name, never items; keep the port
 * off the public network or scrape through a proxy that guards it.
 *
 * <p>Besides the counters of {@link ServerMetrics}, every tenant opened so far has gauges read from
 * its job store at scrape time ({@code JobStore.stats()}: one grouped count per tenant per scrape,
 * shared by the tenant's gauges for {@link #STATS_MAX_AGE_MILLIS}, on the server's ticker):
 *
 * <ul>
 *   <li>{@code idem_jobs{tenant,state}}: jobs in each state (every state, zero when none);
 *   <li>{@code idem_jobs_duplicates_prevented{tenant}}: enqueues turned away, ignored or folded in
 *       by a unique key, over the store's life.
 * </ul>
 *
 * A tenant whose store cannot be read answers NaN for the scrape (logged), so one down tenant does
 * not hide the others.
 */
final class MetricsRoutes implements Routes {

  private static final Logger log = LoggerFactory.getLogger(MetricsRoutes.class);

  /** The Prometheus text format's content type. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** How long one tenant's stats answer every gauge of a scrape: 1 s. */
  static final long STATS_MAX_AGE_MILLIS = 1000;

  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  @Override
  public void register(Javalin app, ServerContext server) {
    app.get(
        "/metrics",
        ctx -> {
          PrometheusMeterRegistry registry = server.metrics().registry();
          server
              .openedTenants()
              .forEach((name, stores) -> gauges(registry, stores, server.ticker()));
          ctx.contentType(CONTENT_TYPE);
          ctx.result(registry.scrape());
        });
  }

  /** Registers the gauges of {@code stores} once; their stats' age is timed on {@code ticker}. */
  private void gauges(PrometheusMeterRegistry registry, TenantStores stores, Ticker ticker) {
    if (!registered.add(stores.tenant())) {
      return;
    }
    TenantStats stats = new TenantStats(stores, ticker);
    for (JobState state : JobState.values()) {
      Gauge.builder("idem_jobs", stats, s -> s.count(state))
          .description("Jobs by state, read from the tenant's job store at scrape time")
          .tag("tenant", stores.tenant())
          .tag("state", state.name())
          .strongReference(true)
          .register(registry);
    }
    Gauge.builder("idem_jobs_duplicates_prevented", stats, TenantStats::duplicates)
        .description("Enqueues a unique key turned away, ignored or folded in")
        .tag("tenant", stores.tenant())
        .strongReference(true)
        .register(registry);
  }

  /** One tenant's latest {@link JobStats}, read again when older than the maximum age. */
  private static final class TenantStats {
    private final TenantStores stores;
    private final Ticker ticker;
    private @Nullable JobStats last;
    private long readAt;
    private boolean failed;

    TenantStats(TenantStores stores, Ticker ticker) {
      this.stores = stores;
      this.ticker = ticker;
    }

    synchronized double count(JobState state) {
      JobStats s = fresh();
      return s == null ? Double.NaN : s.count(state);
    }

    synchronized double duplicates() {
      JobStats s = fresh();
      return s == null ? Double.NaN : s.duplicatesPreventedTotal();
    }

    private @Nullable JobStats fresh() {
      long now = ticker.nanos();
      if ((last == null && !failed) || now - readAt > STATS_MAX_AGE_MILLIS * 1_000_000L) {
        readAt = now;
        try {
          last = stores.jobStore().stats();
          failed = false;
        } catch (RuntimeException e) {
          if (!failed) {
            log.warn("cannot read the job stats of tenant {}: {}", stores.tenant(), e.toString());
          }
          last = null;
          failed = true;
        }
      }
      return last;
    }
  }
}
