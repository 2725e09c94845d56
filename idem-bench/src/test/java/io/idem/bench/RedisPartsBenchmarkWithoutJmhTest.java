package io.idem.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link RedisPartsBenchmark}'s setup, every step of its three methods and its teardown, called
 * directly against the real Redis of {@link io.idem.testkit.servers.TestServers}: each step does
 * what it says (a replay finds its key completed, a claim claims, a lock is free and released).
 */
class RedisPartsBenchmarkWithoutJmhTest {

  @Test
  void everyStepRunsAndSucceeds() {
    RedisPartsBenchmark b = new RedisPartsBenchmark();
    b.setup();
    try {
      for (int step = 0; step < 6; step++) {
        assertThat(b.replayStep(step, step)).as("replay step %s", step).isTrue();
        assertThat(b.claimStep(step)).as("claim step %s", step).isTrue();
      }
      for (int step = 0; step < 4; step++) {
        assertThat(b.lockStep(step, step)).as("lock step %s", step).isTrue();
        assertThat(b.lockStep(step, step)).as("lock step %s, again", step).isTrue();
      }
      // the self-timed methods count their calls by step
      RedisPartsBenchmark.ReplaySteps replay = new RedisPartsBenchmark.ReplaySteps();
      RedisPartsBenchmark.ClaimSteps claim = new RedisPartsBenchmark.ClaimSteps();
      RedisPartsBenchmark.LockSteps lock = new RedisPartsBenchmark.LockSteps();
      for (int i = 0; i < 2 * RedisPartsBenchmark.BLOCK; i++) {
        assertThat(b.replaySteps(replay)).isTrue();
        assertThat(b.claimSteps(claim)).isTrue();
        assertThat(b.lockSteps(lock)).isTrue();
      }
      assertThat(replay.rawGetCalls).isEqualTo(RedisPartsBenchmark.BLOCK);
      assertThat(replay.rawHgetallCalls).isEqualTo(RedisPartsBenchmark.BLOCK);
      assertThat(claim.rawSetNxSetCalls).isEqualTo(RedisPartsBenchmark.BLOCK);
      assertThat(claim.rawEvalSetNxSetCalls).isEqualTo(RedisPartsBenchmark.BLOCK);
      assertThat(lock.shedLockCalls).isEqualTo(RedisPartsBenchmark.BLOCK);
      assertThat(lock.rawSetNxDelCalls).isEqualTo(RedisPartsBenchmark.BLOCK);
    } finally {
      b.tearDown();
    }
  }
}
