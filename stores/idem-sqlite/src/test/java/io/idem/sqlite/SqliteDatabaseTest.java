package io.idem.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.Idem;
import io.idem.IdempotencyKey;
import io.idem.StoreUnavailableException;
import io.idem.jdbc.SqlStatements;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDatabaseTest {

  @TempDir Path dir;

  private static ClaimRequest request(String key) {
    return new ClaimRequest(key, "fp", Duration.ofSeconds(30), Duration.ofHours(1), 10);
  }

  @Test
  void openingCreatesTheFileInWalModeWithTheSchemaOnce() throws Exception {
    Path db = dir.resolve("a/b/idem.db");
    SqliteDatabase.open(db).close();
    SqliteDatabase.open(db).close();

    assertThat(Files.exists(db)).isTrue();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
      }
      try (ResultSet rs =
          s.executeQuery("SELECT version, description FROM idem_schema_history ORDER BY version")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(1);
        assertThat(rs.getString(2)).isEqualTo("idempotency_records");
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(2);
        assertThat(rs.getString(2)).isEqualTo("sets_and_locks");
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(3);
        assertThat(rs.getString(2)).isEqualTo("jobs");
        assertThat(rs.next()).as("applied once").isFalse();
      }
    }
  }

  @Test
  void aDatabaseWrittenByANewerIdemIsRefusedNamingBothVersions() throws Exception {
    Path db = dir.resolve("idem.db");
    SqliteDatabase.open(db).close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO idem_schema_history (version, description, applied_at) "
              + "VALUES (999, 'future', 0)");
    }

    assertThatThrownBy(() -> SqliteDatabase.open(db))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("999")
        .hasMessageContaining("(3)")
        .hasMessageContaining(db.toAbsolutePath().toString());
  }

  @Test
  void aClosedDatabaseFailsWithStoreUnavailableNamingTheFile() {
    Path db = dir.resolve("idem.db");
    SqliteDatabase database = SqliteDatabase.open(db);
    IdempotencyStore store = database.idempotencyStore();
    database.close();

    assertThatThrownBy(() -> store.claim(request("k")))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(db.toAbsolutePath().toString())
        .hasMessageContaining("closed");
  }

  @Test
  void aFileLockedByAnotherProcessPastTheBusyTimeoutFailsCleanlyAndLosesNothing() throws Exception {
    Path db = dir.resolve("idem.db");
    try (SqliteDatabase database =
            SqliteDatabase.builder(db).busyTimeout(Duration.ofMillis(200)).open();
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      IdempotencyStore store = database.idempotencyStore();
      try (Statement s = other.createStatement()) {
        s.execute("BEGIN IMMEDIATE");
        assertThatThrownBy(() -> store.claim(request("busy")))
            .isInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining("busy")
            .hasMessageContaining("claim of key busy");
        s.execute("ROLLBACK");
      }
      assertThat(store.get("busy")).isEmpty();
      assertThat(store.claim(request("busy")).status()).isEqualTo(ClaimStatus.CLAIMED);
      assertThat(store.claim(request("busy")).status()).isEqualTo(ClaimStatus.IN_PROGRESS);
    }
  }

  @Test
  void twoDatabasesOnOneFileShareRecords() {
    Path db = dir.resolve("idem.db");
    try (SqliteDatabase a = SqliteDatabase.open(db);
        SqliteDatabase b = SqliteDatabase.open(db);
        Idem ia = Idem.builder(a.idempotencyStore()).noBackgroundPurge().build();
        Idem ib = Idem.builder(b.idempotencyStore()).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("shared:1");
      assertThat(ia.once(key, null, () -> "a").wasExecuted()).isTrue();
      assertThat(ib.once(key, null, () -> "b").value()).isEqualTo("a");
    }
  }

  @Test
  void theStatementsFileDefinesEveryStatementTheStoreUses() {
    SqlStatements sql =
        SqlStatements.load(SqliteIdempotencyStore.class, "io/idem/sqlite/idempotency.sql");
    assertThat(sql.all())
        .containsKeys(
            "record.select",
            "claim.select",
            "floor.raise.key",
            "floor.raise.expired",
            "record.upsert",
            "record.complete",
            "record.fail",
            "record.extend",
            "record.delete",
            "record.purge");
    assertThat(sql.get("record.delete")).isEqualTo("DELETE FROM idem_records WHERE key = ?");
    assertThatThrownBy(() -> sql.get("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope");
  }

  @Test
  void badBuilderValuesAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> SqliteDatabase.builder(dir).busyTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT-1S");
  }
}
