package io.idem.internal;

import io.idem.Ticker;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps leases alive while their holders work: Idem's heartbeats and LockManager's keep-alive. One
 * sweep task, scheduled for the earliest beat that is due, beats every lease whose time has come
 * and schedules itself for the next; a holder only adds and removes its lease (no timer per holder:
 * scheduling and cancelling one per call cost about 18 µs on SQLite's hot path, and woke the
 * scheduler thread twice per call).
 *
 * <p>Times are the {@link Ticker}'s: a sweep is scheduled after what is left until the next beat in
 * real time; on the system ticker it then finds the beat due, on a ticker that moved less (a test's
 * settable one) it finds nothing due and looks again after what is left. The next beat counts from
 * the reading taken before the beat, so a lease lengthened from then is extended again one interval
 * later. Thread-safe. Not API.
 */
public final class LeaseKeeper {

  /** A lease being kept: its interval and what a beat does. */
  public abstract static class Kept {
    private volatile long nextBeat;
    private volatile boolean stopped;

    /** The interval between beats, in the ticker's nanoseconds; read at each beat. */
    protected abstract long everyNanos();

    /**
     * Extends the lease, asked at the ticker's reading {@code asked}; a refusal stops its keeping
     * (call {@link LeaseKeeper#stop}). Must not throw.
     */
    protected abstract void beat(long asked);

    /** Whether it was stopped. */
    public final boolean stopped() {
      return stopped;
    }
  }

  private final ScheduledExecutorService scheduler;
  private final Ticker ticker;
  private final Set<Kept> kept = ConcurrentHashMap.newKeySet();

  /** The ticker's reading of the next scheduled sweep; Long.MAX_VALUE when none is. */
  private final AtomicLong sweepAt = new AtomicLong(Long.MAX_VALUE);

  /** A keeper whose sweeps run on {@code scheduler}, timed on {@code ticker}. */
  public LeaseKeeper(ScheduledExecutorService scheduler, Ticker ticker) {
    this.scheduler = scheduler;
    this.ticker = ticker;
  }

  /**
   * Keeps {@code lease} from the ticker's reading {@code since}: its first beat is due after one
   * interval.
   */
  public void keep(Kept lease, long since) {
    lease.nextBeat = since + lease.everyNanos();
    kept.add(lease);
    scheduleSweepBy(lease.nextBeat);
  }

  /** Stops keeping {@code lease}; idempotent. */
  public void stop(Kept lease) {
    lease.stopped = true;
    kept.remove(lease);
  }

  private void scheduleSweepBy(long at) {
    while (true) {
      long current = sweepAt.get();
      if (current - at <= 0) {
        return; // a sweep at or before then is scheduled already
      }
      if (sweepAt.compareAndSet(current, at)) {
        try {
          scheduler.schedule(this::sweep, Math.max(0, at - ticker.nanos()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
          // the owner is closed: no more beats
        }
        return;
      }
    }
  }

  private void sweep() {
    sweepAt.set(Long.MAX_VALUE);
    long next = Long.MAX_VALUE;
    for (Kept k : kept) {
      if (k.stopped) {
        continue;
      }
      long now = ticker.nanos();
      if (k.nextBeat - now <= 0) {
        k.beat(now);
        k.nextBeat = now + k.everyNanos(); // from before the beat: it lengthens from then
      }
      if (!k.stopped && (next == Long.MAX_VALUE || k.nextBeat - next < 0)) {
        next = k.nextBeat;
      }
    }
    if (next != Long.MAX_VALUE) {
      scheduleSweepBy(next);
    }
  }
}
