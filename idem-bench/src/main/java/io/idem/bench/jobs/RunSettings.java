package io.idem.bench.jobs;

/**
 * What every contender of a run gets alike.
 *
 * @param threads worker threads executing jobs
 * @param poolSize connections of the contender's HikariCP pool
 * @param batchSize jobs per batch enqueue call, for engines whose batch API takes a list
 */
public record RunSettings(int threads, int poolSize, int batchSize) {

  public RunSettings {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, but was " + threads);
    }
    if (poolSize < 2) {
      throw new IllegalArgumentException("poolSize must be at least 2, but was " + poolSize);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, but was " + batchSize);
    }
  }
}
