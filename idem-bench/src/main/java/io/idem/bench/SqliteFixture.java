package io.idem.bench;

import io.idem.Idem;
import io.idem.IdempotencyKey;
import io.idem.sqlite.SqliteDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One database file in a new temporary folder, opened by {@link SqliteDatabase#open(Path)} (which
 * creates the schema) with an {@link Idem} over its store, and by {@link RawSqlite} on a second
 * connection ({@link #raw}). A second file in the same folder, {@link #rawFile}, has its own raw
 * connection ({@link #rawAlone}) for measurements that alternate the two sides: SQLite drops a
 * connection's page cache whenever another connection wrote to its file, so alternating two
 * connections on one file would make both sides read cold pages on every call, which neither does
 * when it runs alone. Keys come from one counter: fixed-width numbers, so that every key sorts
 * after the previous one; the two sides use distinct prefixes of the same length. Thread-safe.
 */
final class SqliteFixture implements AutoCloseable {

  /** Fixed-width key numbers: 10^12 + n. */
  private static final long KEY_BASE = 1_000_000_000_000L;

  final Path folder;
  final Path file;
  final SqliteDatabase db;
  final Idem idem;

  /** A raw connection on {@link #file}, Idem's file. */
  final RawSqlite raw;

  final Path rawFile;

  /** A raw connection on {@link #rawFile}, which nothing else writes. */
  final RawSqlite rawAlone;

  private final SqliteDatabase rawDb;
  private final AtomicLong counter = new AtomicLong();

  private SqliteFixture(
      Path folder, SqliteDatabase db, Idem idem, RawSqlite raw, SqliteDatabase rawDb)
      throws SQLException {
    this.folder = folder;
    this.file = db.path();
    this.db = db;
    this.idem = idem;
    this.raw = raw;
    this.rawDb = rawDb;
    this.rawFile = rawDb.path();
    this.rawAlone = RawSqlite.open(rawFile);
  }

  static SqliteFixture open() throws IOException, SQLException {
    Path folder = Files.createTempDirectory("idem-bench-sqlite");
    SqliteDatabase db = SqliteDatabase.open(folder.resolve("bench.db"));
    // the same schema in a file of its own; this connection stays idle
    SqliteDatabase rawDb = SqliteDatabase.open(folder.resolve("raw.db"));
    try {
      Idem idem = Idem.builder(db.idempotencyStore()).noBackgroundPurge().build();
      return new SqliteFixture(folder, db, idem, RawSqlite.open(db.path()), rawDb);
    } catch (SQLException | RuntimeException e) {
      db.close();
      rawDb.close();
      throw e;
    }
  }

  /** A new readable key for Idem: {@code idem:<13 digits>}. */
  IdempotencyKey nextIdemKey() {
    return IdempotencyKey.readable("idem:" + (KEY_BASE + counter.incrementAndGet()));
  }

  /** A new key for the raw side: {@code rawk:<13 digits>}. */
  String nextRawKey() {
    return "rawk:" + (KEY_BASE + counter.incrementAndGet());
  }

  /** Closes both connections and deletes the folder. */
  @Override
  public void close() throws SQLException, IOException {
    try {
      raw.close();
      rawAlone.close();
    } finally {
      idem.close();
      db.close();
      rawDb.close();
      try (Stream<Path> files = Files.walk(folder)) {
        files.sorted(Comparator.reverseOrder()).forEach(SqliteFixture::delete);
      }
    }
  }

  private static void delete(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
