package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.PayloadFingerprint;
import io.idem.StoreUnavailableException;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PostgresSchemaTest {

  private static final String FP = PayloadFingerprint.of(Map.of("n", 1));

  private HikariDataSource pool;

  @BeforeEach
  void openPool() {
    pool = PostgresTests.pool(4, Duration.ofSeconds(10));
  }

  @AfterEach
  void closePool() {
    pool.close();
  }

  private static ClaimStatus claimOnce(IdempotencyStore store) {
    return store
        .claim(
            new ClaimRequest(
                "schema-test:" + System.nanoTime(),
                FP,
                Duration.ofSeconds(30),
                Duration.ofHours(1),
                3))
        .status();
  }

  private static List<String> rows(DataSource ds, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          sb.append(i > 1 ? " | " : "").append(rs.getString(i));
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  @Test
  void theSchemaIsAppliedOnceAndRecordedInItsHistory() throws Exception {
    String schema = PostgresTests.newSchemaName("idem_once");

    IdempotencyStore first = PostgresIdempotencyStore.builder(pool).schema(schema).build();
    IdempotencyStore second = PostgresIdempotencyStore.builder(pool).schema(schema).build();

    assertThat(rows(pool, "SELECT version, description FROM " + schema + ".idem_schema_history"))
        .containsExactly("1 | idempotency_records", "2 | sets_and_locks", "3 | jobs");
    assertThat(PostgresSchema.apply(pool, schema)).isEmpty();
    assertThat(claimOnce(first)).isEqualTo(ClaimStatus.CLAIMED);
    assertThat(claimOnce(second)).isEqualTo(ClaimStatus.CLAIMED);
  }

  @Test
  void storesBuildingAtOnceOnANewSchemaAllSucceed() throws Exception {
    int stores = 4;
    for (int round = 0; round < 5; round++) {
      String schema = PostgresTests.newSchemaName("idem_race");
      List<HikariDataSource> pools = new ArrayList<>();
      ExecutorService threads = Executors.newFixedThreadPool(stores);
      try {
        CyclicBarrier start = new CyclicBarrier(stores);
        List<Future<IdempotencyStore>> built = new ArrayList<>();
        for (int i = 0; i < stores; i++) {
          HikariDataSource own = PostgresTests.pool(1, Duration.ofSeconds(10));
          pools.add(own);
          built.add(
              threads.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    return PostgresIdempotencyStore.builder(own).schema(schema).build();
                  }));
        }
        for (Future<IdempotencyStore> f : built) {
          assertThat(claimOnce(f.get(30, TimeUnit.SECONDS))).isEqualTo(ClaimStatus.CLAIMED);
        }
        assertThat(
                PostgresTests.queryLong(
                    pool, "SELECT count(*) FROM " + schema + ".idem_schema_history"))
            .as("round %d", round)
            .isEqualTo(3);
      } finally {
        threads.shutdownNow();
        pools.forEach(HikariDataSource::close);
      }
    }
  }

  @Test
  void aSchemaAppliedByPostgresSchemaApplyServesAStoreBuiltWithoutApplying() {
    String schema = PostgresTests.newSchemaName("idem_manual");

    assertThat(PostgresSchema.apply(pool, schema)).containsExactly(1, 2, 3);
    IdempotencyStore store =
        PostgresIdempotencyStore.builder(pool).schema(schema).applySchema(false).build();

    assertThat(claimOnce(store)).isEqualTo(ClaimStatus.CLAIMED);
  }

  /** A schema made by an Idem that knew version 1 only gets version 2 from any store's build. */
  @Test
  void version2IsAppliedOnASchemaThatHadVersion1Only() throws Exception {
    String schema = PostgresTests.server().createSchema("idem_v1");
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute(PostgresSchema.scripts(schema).get(0));
      }
      c.commit();
    }
    IdempotencyStore records =
        PostgresIdempotencyStore.builder(pool).schema(schema).applySchema(false).build();
    String key = "v1-key";
    assertThat(
            records
                .claim(new ClaimRequest(key, FP, Duration.ofSeconds(30), Duration.ofHours(1), 3))
                .status())
        .isEqualTo(ClaimStatus.CLAIMED);
    assertThat(
            PostgresTests.queryLong(
                pool,
                "SELECT count(*) FROM pg_tables WHERE schemaname = '"
                    + schema
                    + "' AND tablename = 'idem_locks'"))
        .isZero();

    PostgresLockStore locks = PostgresLockStore.builder(pool).schema(schema).build();

    assertThat(
            rows(
                pool,
                "SELECT version, description FROM "
                    + schema
                    + ".idem_schema_history ORDER BY version"))
        .containsExactly("1 | idempotency_records", "2 | sets_and_locks", "3 | jobs");
    assertThat(PostgresSchema.apply(pool, schema)).isEmpty();
    assertThat(locks.tryAcquire("nightly", "node-1", Duration.ofSeconds(30)).acquired()).isTrue();
    PostgresProcessedSetStore sets = PostgresProcessedSetStore.builder(pool).schema(schema).build();
    assertThat(sets.add("user=1/saved", "job-1")).isTrue();
    assertThat(records.get(key)).isPresent();
  }

  @Test
  void aStoreBuiltWithoutApplyingOnAnEmptySchemaFailsNamingTheSchemaAndTable() {
    String schema = PostgresTests.server().createSchema("idem_empty");
    IdempotencyStore store =
        PostgresIdempotencyStore.builder(pool).schema(schema).applySchema(false).build();

    assertThatThrownBy(() -> claimOnce(store))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("schema " + schema)
        .hasMessageContaining("claim of key schema-test:")
        .hasMessageContaining("idem_records");
  }

  @Test
  void theScriptsMakeTheSameSchemaAsApplyAndApplyThenSkipsThem() throws Exception {
    String byScripts = PostgresTests.server().createSchema("idem_scripts");
    String byApply = PostgresTests.newSchemaName("idem_applied");
    long publicBefore =
        PostgresTests.queryLong(
            pool,
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'idem%' AND relnamespace ="
                + " 'public'::regnamespace");

    for (String script : PostgresSchema.scripts(byScripts)) {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          s.execute(script);
        }
        c.commit();
      }
    }
    PostgresSchema.apply(pool, byApply);

    for (String catalog :
        List.of(
            "SELECT table_name, column_name, ordinal_position, data_type, is_nullable,"
                + " column_default, collation_name FROM information_schema.columns"
                + " WHERE table_schema = '%s' ORDER BY table_name, ordinal_position",
            "SELECT indexname, replace(indexdef, '%1$s', 'S') FROM pg_indexes"
                + " WHERE schemaname = '%1$s' ORDER BY indexname",
            "SELECT sequence_name, data_type, start_value, increment FROM"
                + " information_schema.sequences WHERE sequence_schema = '%s'"
                + " ORDER BY sequence_name",
            "SELECT con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con"
                + " JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = '%s'"
                + " ORDER BY con.conname",
            "SELECT version, description FROM %s.idem_schema_history ORDER BY version")) {
      assertThat(rows(pool, String.format(catalog, byScripts)))
          .as(catalog)
          .isNotEmpty()
          .isEqualTo(rows(pool, String.format(catalog, byApply)));
    }
    assertThat(
            PostgresTests.queryLong(
                pool,
                "SELECT count(*) FROM pg_class WHERE relname LIKE 'idem%' AND relnamespace ="
                    + " 'public'::regnamespace"))
        .as("nothing lands in public")
        .isEqualTo(publicBefore);

    assertThat(PostgresSchema.apply(pool, byScripts)).isEmpty();
    assertThat(claimOnce(PostgresIdempotencyStore.builder(pool).schema(byScripts).build()))
        .isEqualTo(ClaimStatus.CLAIMED);
  }

  @Test
  void theScriptsQualifyTablesAndSequencesButNotIndexNames() {
    List<String> scripts = PostgresSchema.scripts("billing");

    assertThat(scripts).hasSize(3);
    assertThat(scripts.get(1))
        .startsWith("-- Idem PostgreSQL schema version 2 (sets_and_locks) in schema billing.")
        .contains("CREATE TABLE \"billing\".idem_set_members (")
        .contains("CREATE TABLE \"billing\".idem_sets (")
        .contains("CREATE TABLE \"billing\".idem_locks (")
        .contains("INSERT INTO \"billing\".idem_schema_history")
        .doesNotContain(" idem_locks (name");
    assertThat(scripts.get(0))
        .contains("CREATE TABLE \"billing\".idem_records (")
        .contains("CREATE INDEX idem_records_expires_at ON \"billing\".idem_records (expires_at)")
        .contains("CREATE SEQUENCE \"billing\".idem_token_seq")
        .contains("CREATE TABLE IF NOT EXISTS \"billing\".idem_schema_history")
        .contains("INSERT INTO \"billing\".idem_schema_history")
        .doesNotContain(" idem_records (key");
    assertThat(scripts.get(2))
        .startsWith("-- Idem PostgreSQL schema version 3 (jobs) in schema billing.")
        .contains("CREATE TABLE \"billing\".idem_jobs (")
        .contains("CREATE TABLE \"billing\".idem_job_duplicates (")
        .contains(
            "CREATE UNIQUE INDEX idem_jobs_unique_key ON \"billing\".idem_jobs (unique_key)\n"
                + "  WHERE unique_key IS NOT NULL AND ((unique_states >> state) & 1) = 1")
        .contains("CREATE INDEX idem_jobs_due ON \"billing\".idem_jobs")
        .doesNotContain(" idem_jobs (id");
  }

  @Test
  void qualifyHandlesTheFormsLaterScriptsMayUse() {
    assertThat(PostgresSchema.qualify("ALTER TABLE idem_records ADD COLUMN x INT", "\"s\""))
        .isEqualTo("ALTER TABLE \"s\".idem_records ADD COLUMN x INT");
    assertThat(
            PostgresSchema.qualify(
                "CREATE UNIQUE INDEX IF NOT EXISTS idem_x ON idem_records (key)", "\"s\""))
        .isEqualTo("CREATE UNIQUE INDEX IF NOT EXISTS idem_x ON \"s\".idem_records (key)");
    assertThat(PostgresSchema.qualify("SELECT nextval('idem_token_seq')", "\"s\""))
        .isEqualTo("SELECT nextval('\"s\".idem_token_seq')");
    assertThat(PostgresSchema.qualify("UPDATE idem_records SET a = 1", "\"s\""))
        .isEqualTo("UPDATE \"s\".idem_records SET a = 1");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Idem",
        "1idem",
        "idem-x",
        "idem x",
        "idem;drop",
        "\"idem\"",
        "",
        "pg_catalog",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      })
  void aBadSchemaNameIsRefusedNamingIt(String bad) {
    assertThatThrownBy(() -> PostgresIdempotencyStore.builder(pool).schema(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + bad + "\"");
    assertThatThrownBy(() -> PostgresSchema.apply(pool, bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + bad + "\"");
    assertThatThrownBy(() -> PostgresSchema.scripts(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + bad + "\"");
  }

  @Test
  void plainNamesAreAcceptedAndPublicIsTheDefault() {
    PostgresIdempotencyStore store =
        PostgresIdempotencyStore.builder(pool).applySchema(false).build();
    assertThat(store.schema()).isEqualTo("public");
    for (String ok : List.of("idem", "_idem", "idem_2", "x".repeat(63))) {
      assertThat(PostgresIdempotencyStore.builder(pool).schema(ok).applySchema(false).build())
          .extracting(PostgresIdempotencyStore::schema)
          .isEqualTo(ok);
    }
  }

  @Test
  void aSchemaWrittenByANewerIdemIsRefused() throws Exception {
    String schema = PostgresTests.newSchemaName("idem_newer");
    PostgresSchema.apply(pool, schema);
    PostgresTests.execute(
        pool,
        "INSERT INTO "
            + schema
            + ".idem_schema_history (version, description, applied_at) VALUES (999, 'future', 0)");

    assertThatThrownBy(() -> PostgresIdempotencyStore.builder(pool).schema(schema).build())
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("999")
        .hasMessageContaining("schema " + schema)
        .hasMessageContaining("upgrade Idem");
  }

  @Test
  void applyingLeavesTheSearchPathOfThePooledConnectionAsItWas() throws Exception {
    try (HikariDataSource one = PostgresTests.pool(1, Duration.ofSeconds(10))) {
      List<String> before = rows(one, "SHOW search_path");

      PostgresSchema.apply(one, PostgresTests.newSchemaName("idem_path"));

      assertThat(rows(one, "SHOW search_path")).isEqualTo(before);
    }
  }

  @Test
  void aRoleThatMayNotCreateTablesBuildsStoresOnAnUpToDateSchema() throws Exception {
    Assumptions.assumeTrue(
        PostgresTests.server().isManaged(),
        "skipped: creates a login role, which it does only on the server the tests run");
    String schema = PostgresTests.newSchemaName("idem_least");
    PostgresSchema.apply(pool, schema);
    String role = PostgresTests.newSchemaName("idem_app");
    PostgresTests.execute(pool, "CREATE ROLE " + role + " LOGIN");
    try {
      PostgresTests.execute(
          pool,
          "GRANT USAGE ON SCHEMA "
              + schema
              + " TO "
              + role
              + "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
              + schema
              + " TO "
              + role
              + "; GRANT USAGE ON ALL SEQUENCES IN SCHEMA "
              + schema
              + " TO "
              + role);
      try (HikariDataSource app = PostgresTests.pool(2, Duration.ofSeconds(10), role, "")) {
        IdempotencyStore store = PostgresIdempotencyStore.builder(app).schema(schema).build();
        assertThat(claimOnce(store)).isEqualTo(ClaimStatus.CLAIMED);

        String other = PostgresTests.newSchemaName("idem_denied");
        assertThatThrownBy(() -> PostgresIdempotencyStore.builder(app).schema(other).build())
            .isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining("schema " + other)
            .hasMessageContaining("permission denied");
      }
    } finally {
      PostgresTests.execute(pool, "DROP OWNED BY " + role + "; DROP ROLE " + role);
    }
  }
}
