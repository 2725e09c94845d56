package io.idem.bench;

import java.util.concurrent.Callable;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The time each side of an interleaved store benchmark took in an iteration, and how many calls it
 * made: {@link #BLOCK} calls of Idem's side, then {@link #BLOCK} of the other (raw or peer), and so
 * on, so that both sides share whatever load the shared machine has at the time. {@link
 * RunBenchmarks} reports them as {@code method:idem} against {@code method:raw}, paired iteration
 * by iteration, as {@link SqliteClaimCompleteBenchmark#interleaved}.
 */
@State(org.openjdk.jmh.annotations.Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class Sides {

  /** Calls on one side before turning to the other. */
  static final int BLOCK = 100;

  /** Nanoseconds spent in Idem's calls. */
  public long idemNanos;

  /** Idem's calls. */
  public long idemCalls;

  /** Nanoseconds spent in the other side's calls (raw commands, or the peer library). */
  public long rawNanos;

  /** The other side's calls. */
  public long rawCalls;

  long invocations;

  @Setup(Level.Iteration)
  public void reset() {
    idemNanos = 0;
    idemCalls = 0;
    rawNanos = 0;
    rawCalls = 0;
  }

  /** One call of the side whose turn it is, timed. */
  <T> T next(Callable<T> idem, Callable<T> raw) throws Exception {
    boolean idemSide = (invocations++ / BLOCK) % 2 == 0;
    long t0 = System.nanoTime();
    T result = idemSide ? idem.call() : raw.call();
    long elapsed = System.nanoTime() - t0;
    if (idemSide) {
      idemNanos += elapsed;
      idemCalls++;
    } else {
      rawNanos += elapsed;
      rawCalls++;
    }
    return result;
  }
}
