package io.idem.bench.jobs;

import javax.sql.DataSource;

/**
 * One job engine in the side-by-side run. The harness ({@link JobThroughput}) calls, for each
 * measured run: {@link #setUp} on a pool of a fresh, empty database; {@link #startWorkers}; then,
 * with the clock running, {@link #enqueue}; it waits until the no-op handler has reported every job
 * to the run's {@link Executions}, then asks {@link #unfinished} until the engine's own storage
 * agrees, and calls {@link #tearDown}. One instance per run; not used by two threads at once,
 * except that the engine's workers call the handler.
 */
public interface Contender {

  /** A short name for tables and command-line selection: {@code idem}, {@code db-scheduler}. */
  String name();

  /** The configuration used, in one line, for the report (so the comparison can be judged). */
  String settings(RunSettings settings);

  /** Whether {@link #enqueue} supports {@code unique = false} (jobs without a unique key or id). */
  boolean supportsPlain();

  /**
   * Creates the engine's tables in the empty database of {@code dataSource} and builds the engine
   * with {@code settings.threads()} workers, not yet started. Every job handler calls {@code
   * executions.executed(index)} and nothing else.
   */
  void setUp(DataSource dataSource, RunSettings settings, Executions executions) throws Exception;

  /** Starts the workers (they find the queue empty). */
  void startWorkers() throws Exception;

  /**
   * Enqueues jobs 0 to {@code n - 1} from the calling thread, with the engine's batch API where it
   * has one, and returns when all are stored. {@code unique}: each job carries a distinct unique
   * key (or id, where the id is the engine's deduplication), built from its index; else none.
   */
  void enqueue(int n, boolean unique) throws Exception;

  /**
   * Jobs the engine's storage does not yet hold as finished (one cheap query), for the check that
   * follows the handlers' count.
   */
  long unfinished() throws Exception;

  /** Stops the workers and releases what {@link #setUp} made (the harness closes the pool). */
  void tearDown() throws Exception;
}
