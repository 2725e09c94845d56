package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.idem.PayloadFingerprint;
import io.idem.StoreUnavailableException;
import io.idem.spi.ClaimRequest;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** A server that is not there: every step fails with a message naming where it looked. */
class PostgresUnavailableTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);

  private int port;
  private String hostPort;

  @BeforeEach
  void findAPortWhereNothingListens() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    hostPort = "127.0.0.1:" + port;
  }

  private PGSimpleDataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName("app");
    ds.setUser("postgres");
    ds.setConnectTimeout(2);
    return ds;
  }

  private void assertUnavailable(ThrowingCallable call, String what) {
    assertThatThrownBy(call)
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(hostPort)
        .hasMessageContaining("schema idem")
        .hasMessageContaining(what);
  }

  @Test
  void everyStepFailsWithStoreUnavailableNamingHostPortSchemaAndStep() {
    IdempotencyStore store =
        PostgresIdempotencyStore.builder(dataSource()).schema("idem").applySchema(false).build();
    String fp = PayloadFingerprint.of(Map.of("a", 1));

    assertUnavailable(
        () -> store.claim(new ClaimRequest("k1", fp, LEASE, TTL, 3)), "claim of key k1");
    assertUnavailable(
        () -> store.complete("k1", 7, new StoredResult("T", "1", null), TTL), "complete of key k1");
    assertUnavailable(
        () -> store.fail("k1", 7, new StoredError("E", "m"), TTL, TTL), "fail of key k1");
    assertUnavailable(() -> store.extend("k1", 7, LEASE), "extend of key k1");
    assertUnavailable(() -> store.get("k1"), "get of key k1");
    assertUnavailable(() -> store.delete("k1"), "delete of key k1");
    assertUnavailable(() -> store.purgeExpired(10), "purge of expired records");
    assertThatThrownBy(() -> store.get("k1")).hasMessageContaining("refused");
  }

  @Test
  void everySetAndLockStepFailsWithStoreUnavailableNamingHostPortSchemaAndStep() {
    PostgresProcessedSetStore sets =
        PostgresProcessedSetStore.builder(dataSource()).schema("idem").applySchema(false).build();
    assertUnavailable(() -> sets.add("s1", "m"), "add to set s1");
    assertUnavailable(() -> sets.remove("s1", "m"), "remove from set s1");
    assertUnavailable(() -> sets.contains("s1", "m"), "contains of set s1");
    assertUnavailable(() -> sets.members("s1"), "members of set s1");
    assertUnavailable(() -> sets.clear("s1"), "clear of set s1");
    assertUnavailable(() -> sets.lastModified("s1"), "last-modified time of set s1");

    PostgresLockStore locks =
        PostgresLockStore.builder(dataSource()).schema("idem").applySchema(false).build();
    assertUnavailable(() -> locks.tryAcquire("l1", "node-1", LEASE), "acquisition of lock l1");
    assertUnavailable(() -> locks.extend("l1", 1, LEASE), "extend of lock l1");
    assertUnavailable(() -> locks.release("l1", 1, Duration.ZERO), "release of lock l1");
    assertUnavailable(() -> locks.holder("l1"), "holder of lock l1");

    try (PostgresAdvisoryLockStore advisory =
        PostgresAdvisoryLockStore.builder(dataSource()).schema("idem").applySchema(false).build()) {
      assertUnavailable(() -> advisory.tryAcquire("l1", "node-1", LEASE), "acquisition of lock l1");
      assertUnavailable(() -> advisory.holder("l1"), "holder of lock l1");
      assertThat(advisory.extend("l1", 1, LEASE)).as("never held here").isFalse();
      assertThat(advisory.release("l1", 1, Duration.ZERO)).isFalse();
    }
    assertUnavailable(
        () -> PostgresLockStore.builder(dataSource()).schema("idem").build(),
        "applying the Idem schema");
  }

  @Test
  void buildingWithTheSchemaAppliedFailsNamingHostPort() {
    assertUnavailable(
        () -> PostgresIdempotencyStore.builder(dataSource()).schema("idem").build(),
        "applying the Idem schema");
  }

  @Test
  void throughAHikariPoolTheDriversMessageNamesHostPort() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:postgresql://" + hostPort + "/app");
    config.setUsername("postgres");
    config.setConnectionTimeout(500);
    config.setInitializationFailTimeout(-1);
    config.setMaximumPoolSize(1);
    try (HikariDataSource pool = new HikariDataSource(config)) {
      IdempotencyStore store =
          PostgresIdempotencyStore.builder(pool).schema("idem").applySchema(false).build();

      assertUnavailable(
          () -> store.claim(new ClaimRequest("k2", PayloadFingerprint.of(null), LEASE, TTL, 3)),
          "claim of key k2");
    }
  }

  @Test
  void theServerIsNamedWithoutTheUrlParameters() {
    assertThat(
            PostgresDatabase.hostPortDatabase(
                "jdbc:postgresql://db.internal:5433/app?user=u&password=secret"))
        .isEqualTo("db.internal:5433/app");
    assertThat(PostgresDatabase.hostPortDatabase("jdbc:postgresql://a:1,b:2/app"))
        .isEqualTo("a:1,b:2/app");
  }
}
