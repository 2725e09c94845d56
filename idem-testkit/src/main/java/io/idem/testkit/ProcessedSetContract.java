package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.spi.ProcessedSetStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link ProcessedSetStore}: every set store's test extends this class and says how
 * to build the store. It covers add/remove/contains/members/clear, the last-modified time (moved by
 * changes only), independent sets, unicode and long ids, a thousand members, and concurrent adds of
 * one id of which exactly one wins.
 */
public abstract class ProcessedSetContract {

  protected SettableClock clock;
  protected ProcessedSetStore store;

  /** A new, empty store on {@code clock}; closed after each test. */
  protected abstract ProcessedSetStore createStore(SettableClock clock) throws Exception;

  @BeforeEach
  void setUpStore() throws Exception {
    clock = SettableClock.create();
    store = createStore(clock);
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  protected static String newSet() {
    return "user=" + UUID.randomUUID() + "/saved_jobs";
  }

  @Test
  void addContainsRemove() {
    String set = newSet();
    assertThat(store.contains(set, "job-1")).isFalse();
    assertThat(store.add(set, "job-1")).isTrue();
    assertThat(store.add(set, "job-1")).as("again").isFalse();
    assertThat(store.contains(set, "job-1")).isTrue();
    assertThat(store.members(set)).containsExactly("job-1");

    assertThat(store.remove(set, "job-1")).isTrue();
    assertThat(store.remove(set, "job-1")).as("again").isFalse();
    assertThat(store.contains(set, "job-1")).isFalse();
    assertThat(store.members(set)).isEmpty();
  }

  @Test
  void lastModifiedMovesWithChangesOnly() {
    String set = newSet();
    assertThat(store.lastModified(set)).isEmpty();
    store.add(set, "a");
    assertThat(store.lastModified(set)).contains(clock.instant());

    clock.advance(Duration.ofMinutes(1));
    store.add(set, "a"); // no change
    store.remove(set, "missing"); // no change
    assertThat(store.lastModified(set)).contains(clock.instant().minus(Duration.ofMinutes(1)));

    store.add(set, "b");
    assertThat(store.lastModified(set)).contains(clock.instant());
    clock.advance(Duration.ofMinutes(1));
    store.remove(set, "a");
    assertThat(store.lastModified(set)).contains(clock.instant());
  }

  @Test
  void clearForgetsMembersAndLastModified() {
    String set = newSet();
    store.add(set, "a");
    store.add(set, "b");
    store.add(set, "c");

    assertThat(store.clear(set)).isEqualTo(3);
    assertThat(store.members(set)).isEmpty();
    assertThat(store.lastModified(set)).isEmpty();
    assertThat(store.clear(set)).isZero();
    assertThat(store.add(set, "a")).isTrue();
  }

  @Test
  void setsAreIndependent() {
    String a = newSet();
    String b = newSet();
    store.add(a, "job");
    assertThat(store.contains(b, "job")).isFalse();
    store.clear(a);
    store.add(b, "job");
    assertThat(store.contains(a, "job")).isFalse();
    assertThat(store.members(b)).containsExactly("job");
  }

  @Test
  void unicodeAndLongIdsRoundTrip() {
    String set = "session=" + UUID.randomUUID() + "/ダウンロード";
    String unicode = "job-é-日本-🎉";
    String longId = "j".repeat(512);
    store.add(set, unicode);
    store.add(set, longId);
    store.add(set, "JOB-é-日本-🎉");

    assertThat(store.members(set)).containsExactlyInAnyOrder(unicode, longId, "JOB-é-日本-🎉");
    assertThat(store.contains(set, unicode)).isTrue();
  }

  @Test
  void aThousandMembersAreAllListed() {
    String set = newSet();
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      store.add(set, "job-" + i);
      expected.add("job-" + i);
    }
    assertThat(store.members(set)).isEqualTo(expected);
    assertThat(store.clear(set)).isEqualTo(1000);
  }

  @Test
  void concurrentAddsOfOneIdHaveExactlyOneWinner() throws Exception {
    int threads = 16;
    for (int round = 0; round < 10; round++) {
      String set = newSet();
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Boolean>> adds = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          adds.add(
              pool.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    return store.add(set, "job-1");
                  }));
        }
        int winners = 0;
        for (Future<Boolean> f : adds) {
          if (f.get(30, TimeUnit.SECONDS)) {
            winners++;
          }
        }
        assertThat(winners).as("round %d", round).isEqualTo(1);
        assertThat(store.members(set)).containsExactly("job-1");
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
