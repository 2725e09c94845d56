package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.spi.ProcessedSetStore;
import io.idem.testkit.ProcessedSetContract;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The whole set contract against a real PostgreSQL, one fresh schema per test. */
class PostgresProcessedSetStoreTest extends ProcessedSetContract {

  private HikariDataSource pool;
  private String schema;

  @Override
  protected ProcessedSetStore createStore(SettableClock clock) {
    schema = PostgresTests.server().createSchema("idem_sets");
    pool = PostgresTests.pool(20, Duration.ofSeconds(10));
    return PostgresProcessedSetStore.builder(pool).schema(schema).clock(clock).build();
  }

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  @Test
  void aNameOrMemberWithNulIsRefusedForAddsAndAbsentOtherwise() {
    String set = newSet();
    store.add(set, "a");

    assertThatThrownBy(() -> store.add(set, "a\u0000b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("member")
        .hasMessageContaining("U+0000");
    assertThatThrownBy(() -> store.add(set + "\u0000", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("set");
    assertThat(store.contains(set, "a\u0000b")).isFalse();
    assertThat(store.remove(set, "a\u0000b")).isFalse();
    assertThat(store.members(set + "\u0000")).isEmpty();
    assertThat(store.clear(set + "\u0000")).isZero();
    assertThat(store.lastModified(set + "\u0000")).isEmpty();
    assertThat(store.members(set)).containsExactly("a");
  }

  @Test
  void membersDifferingInCaseOrUnicodeFormAreDistinct() {
    String set = newSet();
    assertThat(store.add(set, "caf\u00e9")).isTrue();
    assertThat(store.add(set, "cafe\u0301")).isTrue();
    assertThat(store.add(set, "CAF\u00c9")).isTrue();

    assertThat(store.members(set))
        .containsExactlyInAnyOrder("caf\u00e9", "cafe\u0301", "CAF\u00c9");
  }

  @Test
  void aRemoveThatEmptiesTheSetKeepsItsLastModifiedTimeUntilCleared() throws Exception {
    String set = newSet();
    store.add(set, "a");
    clock.advance(Duration.ofSeconds(5));

    assertThat(store.remove(set, "a")).isTrue();

    assertThat(store.lastModified(set)).contains(clock.instant());
    assertThat(store.clear(set)).isZero();
    assertThat(store.lastModified(set)).isEmpty();
    assertThat(
            PostgresTests.queryLong(
                pool,
                "SELECT count(*) FROM \"" + schema + "\".idem_sets WHERE set_name = '" + set + "'"))
        .isZero();
  }

  @Test
  void toStringNamesTheServerAndSchema() {
    assertThat(store.toString())
        .contains(PostgresTests.server().hostPort())
        .contains("schema " + schema);
  }
}
