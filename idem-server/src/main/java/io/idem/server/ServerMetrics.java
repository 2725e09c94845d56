package io.idem.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The server's counters (Prometheus through Micrometer) and a short log of recent notable events
 * (replays, conflicts, mismatches) per tenant for the dashboard. Thread-safe.
 *
 * <p>Meters: {@code idem_executions_total}, {@code idem_replays_total}, {@code
 * idem_conflicts_total}, {@code idem_mismatches_total} (tagged by tenant and kind: "record" for the
 * records API and the Idempotency-Key header, "job" for enqueues), {@code idem_lock_wait} (a timer
 * of lock acquisitions by tenant). Jobs by state are gauges read at scrape time.
 */
public final class ServerMetrics {

  /** How many recent events are kept per server: 200. */
  public static final int RECENT = 200;

  /** A notable event for the dashboard. */
  public record Event(Instant at, String tenant, String kind, String what, String key) {}

  private final PrometheusMeterRegistry registry;
  private final Clock clock;
  private final Deque<Event> recent = new ArrayDeque<>();

  ServerMetrics(PrometheusMeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** A body ran (a first request, a new job). */
  public void execution(String tenant, String kind) {
    counter("idem_executions", tenant, kind).increment();
  }

  /** A duplicate answered with the stored result (or the existing job). */
  public void replay(String tenant, String kind, String key) {
    counter("idem_replays", tenant, kind).increment();
    remember(tenant, kind, "replay", key);
  }

  /** A duplicate refused while the first is in progress, or a job conflict (409). */
  public void conflict(String tenant, String kind, String key) {
    counter("idem_conflicts", tenant, kind).increment();
    remember(tenant, kind, "conflict", key);
  }

  /** A key reused with another payload (422). */
  public void mismatch(String tenant, String kind, String key) {
    counter("idem_mismatches", tenant, kind).increment();
    remember(tenant, kind, "mismatch", key);
  }

  /** How long an acquisition waited for a lock. */
  public void lockWait(String tenant, Duration waited) {
    Timer.builder("idem_lock_wait").tag("tenant", tenant).register(registry).record(waited);
  }

  private Counter counter(String name, String tenant, String kind) {
    return Counter.builder(name).tag("tenant", tenant).tag("kind", kind).register(registry);
  }

  private void remember(String tenant, String kind, String what, String key) {
    synchronized (recent) {
      recent.addFirst(new Event(clock.instant(), tenant, kind, what, key));
      while (recent.size() > RECENT) {
        recent.removeLast();
      }
    }
  }

  /** The recent events of {@code tenant}, newest first. */
  public List<Event> recent(String tenant) {
    List<Event> out = new ArrayList<>();
    synchronized (recent) {
      for (Event e : recent) {
        if (e.tenant().equals(tenant)) {
          out.add(e);
        }
      }
    }
    return out;
  }
}
