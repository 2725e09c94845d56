package io.idem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link PostgresPartsBenchmark}'s setup, every step of its three methods and its teardown, called
 * directly against the real PostgreSQL of {@link io.idem.testkit.servers.TestServers}: each step
 * does what it says (a claim claims and completes, a replay finds its key completed, a lock is
 * free, taken and released).
 */
class PostgresPartsBenchmarkWithoutJmhTest {

  @Test
  void everyStepRunsAndSucceeds() throws Throwable {
    PostgresPartsBenchmark b = new PostgresPartsBenchmark();
    b.setup();
    try {
      for (int step = 0; step < 6; step++) {
        assertThat(b.claimStep(step)).as("claim step %s", step).isTrue();
        assertThat(b.lockStep(step, "job-" + step)).as("lock step %s", step).isTrue();
        assertThat(b.lockStep(step, "job-" + step)).as("lock step %s, again", step).isTrue();
      }
      for (int step = 0; step < 5; step++) {
        assertThat(b.replayStep(step, step)).as("replay step %s", step).isTrue();
      }
      // the self-timed methods count their calls by step
      PostgresPartsBenchmark.ClaimSteps claim = new PostgresPartsBenchmark.ClaimSteps();
      PostgresPartsBenchmark.ReplaySteps replay = new PostgresPartsBenchmark.ReplaySteps();
      PostgresPartsBenchmark.LockSteps lock = new PostgresPartsBenchmark.LockSteps();
      for (int i = 0; i < 2 * PostgresPartsBenchmark.BLOCK; i++) {
        assertThat(b.claimSteps(claim)).isTrue();
        assertThat(b.replaySteps(replay)).isTrue();
        assertThat(b.lockSteps(lock)).isTrue();
      }
      assertThat(claim.rawJdbcCalls).isEqualTo(PostgresPartsBenchmark.BLOCK);
      assertThat(claim.rawClaimStatementCalls).isEqualTo(PostgresPartsBenchmark.BLOCK);
      assertThat(replay.rawSelectCalls).isEqualTo(PostgresPartsBenchmark.BLOCK);
      assertThat(replay.rawClaimStatementCalls).isEqualTo(PostgresPartsBenchmark.BLOCK);
      assertThat(lock.shedLockCalls).isEqualTo(PostgresPartsBenchmark.BLOCK);
      assertThat(lock.rawAcquireStatementCalls).isEqualTo(PostgresPartsBenchmark.BLOCK);
    } finally {
      b.tearDown();
    }
  }
}
