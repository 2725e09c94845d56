package io.idem.sqlite;

import io.idem.jdbc.SqlStatements;
import io.idem.spi.ProcessedSetStore;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The {@link ProcessedSetStore} of a {@link SqliteDatabase}: one row per member in {@code
 * idem_set_members}, one last-modified row per set in {@code idem_sets}; statements in {@code
 * io/idem/sqlite/sets.sql}. Times are the database clock's epoch milliseconds.
 *
 * <p>Algorithm:
 *
 * <ol>
 *   <li><b>add</b>: one {@code BEGIN IMMEDIATE} transaction: {@code member.insert} ({@code ON
 *       CONFLICT DO NOTHING}); when it inserted a row, {@code set.touch} upserts the last-modified
 *       time; {@code COMMIT}. A member already there changes nothing, not even the time.
 *   <li><b>remove</b>: the same with {@code member.delete}: the time moves only when a row went.
 *       Removing the last member keeps the set's last-modified row, as the set did change.
 *   <li><b>clear</b>: one transaction: {@code members.clear} (its row count is the answer) and
 *       {@code set.delete}.
 *   <li><b>contains</b>, <b>members</b>, <b>lastModified</b>: one {@code SELECT} each.
 * </ol>
 *
 * Members are compared exactly (SQLite's {@code BINARY} collation: case and accents count).
 *
 * <p>Thread-safe: every step runs alone on the database's connection, and the write transactions
 * hold the file's write lock, so other processes on the file cannot interleave either.
 */
public final class SqliteProcessedSetStore implements ProcessedSetStore {

  private static final SqlStatements SQL =
      SqlStatements.load(SqliteProcessedSetStore.class, "io/idem/sqlite/sets.sql");
  private static final String MEMBER_INSERT = SQL.get("member.insert");
  private static final String MEMBER_DELETE = SQL.get("member.delete");
  private static final String MEMBER_EXISTS = SQL.get("member.exists");
  private static final String MEMBERS_SELECT = SQL.get("members.select");
  private static final String MEMBERS_CLEAR = SQL.get("members.clear");
  private static final String SET_TOUCH = SQL.get("set.touch");
  private static final String SET_LAST_MODIFIED = SQL.get("set.last_modified");
  private static final String SET_DELETE = SQL.get("set.delete");

  private final SqliteDatabase db;
  private final Clock clock;
  private final boolean ownsDatabase;

  SqliteProcessedSetStore(SqliteDatabase db, boolean ownsDatabase) {
    this.db = db;
    this.clock = db.clock();
    this.ownsDatabase = ownsDatabase;
  }

  /**
   * A store over its own database at {@code path}; closing the store closes the database.
   * Equivalent to {@code SqliteDatabase.builder(path).clock(clock).open().processedSetStore()} with
   * the database closed by the store.
   */
  public static SqliteProcessedSetStore open(Path path, Clock clock) {
    return new SqliteProcessedSetStore(SqliteDatabase.builder(path).clock(clock).open(), true);
  }

  @Override
  public boolean add(String set, String member) {
    return change("add to set " + set, MEMBER_INSERT, set, member);
  }

  @Override
  public boolean remove(String set, String member) {
    return change("remove from set " + set, MEMBER_DELETE, set, member);
  }

  /**
   * One transaction: {@code sql} (insert or delete of the member), and when it changed a row, the
   * set's last-modified time.
   */
  private boolean change(String what, String sql, String set, String member) {
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(member, "member");
    return db.inTransaction(
        what,
        d -> {
          PreparedStatement ps = d.prepare(sql);
          ps.setString(1, set);
          ps.setString(2, member);
          if (ps.executeUpdate() == 0) {
            return false;
          }
          touch(d, set, clock.millis());
          return true;
        });
  }

  @Override
  public boolean contains(String set, String member) {
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(member, "member");
    return db.withConnection(
        "contains of set " + set,
        d -> {
          PreparedStatement ps = d.prepare(MEMBER_EXISTS);
          ps.setString(1, set);
          ps.setString(2, member);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
          }
        });
  }

  @Override
  public Set<String> members(String set) {
    Objects.requireNonNull(set, "set");
    return db.withConnection(
        "members of set " + set,
        d -> {
          PreparedStatement ps = d.prepare(MEMBERS_SELECT);
          ps.setString(1, set);
          Set<String> members = new LinkedHashSet<>();
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              members.add(rs.getString(1));
            }
          }
          return Set.copyOf(members);
        });
  }

  @Override
  public int clear(String set) {
    Objects.requireNonNull(set, "set");
    return db.inTransaction(
        "clear of set " + set,
        d -> {
          PreparedStatement members = d.prepare(MEMBERS_CLEAR);
          members.setString(1, set);
          int count = members.executeUpdate();
          PreparedStatement lastModified = d.prepare(SET_DELETE);
          lastModified.setString(1, set);
          lastModified.executeUpdate();
          return count;
        });
  }

  @Override
  public Optional<Instant> lastModified(String set) {
    Objects.requireNonNull(set, "set");
    return db.withConnection(
        "last-modified time of set " + set,
        d -> {
          PreparedStatement ps = d.prepare(SET_LAST_MODIFIED);
          ps.setString(1, set);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(Instant.ofEpochMilli(rs.getLong(1))) : Optional.empty();
          }
        });
  }

  /** Closes the database when this store was opened with {@link #open}; else does nothing. */
  @Override
  public void close() {
    if (ownsDatabase) {
      db.close();
    }
  }

  @Override
  public String toString() {
    return "SqliteProcessedSetStore[" + db.path() + "]";
  }

  private static void touch(SqliteDatabase d, String set, long now) throws SQLException {
    PreparedStatement ps = d.prepare(SET_TOUCH);
    ps.setString(1, set);
    ps.setLong(2, now);
    ps.executeUpdate();
  }
}
