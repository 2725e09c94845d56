package io.idem.postgres;

import io.idem.StoreUnavailableException;
import io.idem.spi.ProcessedSetStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The {@link ProcessedSetStore} on PostgreSQL, for deduplication trackers of many processes sharing
 * one database: tables {@code idem_set_members} (one row per set and member) and {@code idem_sets}
 * (a set's last-modified time) in a schema of your choice, statements in {@code
 * io/idem/postgres/sets.sql}, each step one SQL statement.
 *
 * <pre>{@code
 * ProcessedSetStore sets = PostgresProcessedSetStore.builder(pool).schema("idem").build();
 * }</pre>
 *
 * <p>Defaults: schema {@value PostgresSchema#DEFAULT_SCHEMA}; the system UTC clock; the schema is
 * applied on {@link Builder#build()} (see {@link PostgresSchema} for applying it yourself, then
 * {@link Builder#applySchema(boolean) applySchema(false)}).
 *
 * <p>Algorithm (times are epoch milliseconds of the store's {@link Clock}, passed as parameters;
 * the database's own clock is never used):
 *
 * <ol>
 *   <li><b>add</b>: one statement, {@code WITH added AS (INSERT INTO idem_set_members VALUES (?, ?)
 *       ON CONFLICT DO NOTHING RETURNING 1), touched AS (INSERT INTO idem_sets SELECT ?, :now WHERE
 *       EXISTS (SELECT 1 FROM added) ON CONFLICT (set_name) DO UPDATE SET last_modified =
 *       EXCLUDED.last_modified) SELECT count(*) FROM added}: the member is new when the count is 1,
 *       and only then is the last-modified time moved. Of concurrent adds of one member exactly one
 *       inserts it; the others wait for its insert, find the conflict and count 0.
 *   <li><b>remove</b>: the same shape with {@code DELETE FROM idem_set_members WHERE set_name = ?
 *       AND member = ? RETURNING 1}.
 *   <li><b>contains</b>: {@code SELECT 1 FROM idem_set_members WHERE set_name = ? AND member = ?}.
 *   <li><b>members</b>: {@code SELECT member FROM idem_set_members WHERE set_name = ?}.
 *   <li><b>clear</b>: one statement, {@code WITH removed AS (DELETE FROM idem_set_members WHERE
 *       set_name = ? RETURNING 1), forgotten AS (DELETE FROM idem_sets WHERE set_name = ?) SELECT
 *       count(*) FROM removed}.
 *   <li><b>lastModified</b>: {@code SELECT last_modified FROM idem_sets WHERE set_name = ?}.
 * </ol>
 *
 * <p>Every step takes a connection from the {@link DataSource}, runs its one statement in
 * auto-commit mode and gives the connection back; a statement aborted by a serialization failure or
 * a deadlock did nothing and runs again. Any {@link java.sql.SQLException} is thrown as a {@link
 * StoreUnavailableException} naming the server ({@code host:port/database}), the schema and the
 * step ("add to set ..."). A clear sees the members committed when it starts: a member added by a
 * concurrent, uncommitted add survives the clear (the add then counts as after the clear), while
 * the last-modified time the add wrote may be removed by it; the next change writes it again.
 *
 * <p>Set names and members compare byte by byte ({@code COLLATE "C"}). PostgreSQL text cannot hold
 * U+0000: add refuses a name or member with it ({@link IllegalArgumentException}); the other steps
 * answer as for an absent member or set.
 *
 * <p>Thread-safe. {@link #close()} does nothing: the {@link DataSource} is yours to close.
 */
public final class PostgresProcessedSetStore implements ProcessedSetStore {

  private final PostgresDatabase db;
  private final Clock clock;
  private final NamedSql add;
  private final NamedSql remove;
  private final NamedSql contains;
  private final NamedSql members;
  private final NamedSql clear;
  private final NamedSql lastModified;

  private PostgresProcessedSetStore(Builder b, PostgresDatabase db) {
    this.db = db;
    this.clock = b.clock;
    this.add = NamedSql.load(NamedSql.SETS, "set.add", b.schema);
    this.remove = NamedSql.load(NamedSql.SETS, "set.remove", b.schema);
    this.contains = NamedSql.load(NamedSql.SETS, "set.contains", b.schema);
    this.members = NamedSql.load(NamedSql.SETS, "set.members", b.schema);
    this.clear = NamedSql.load(NamedSql.SETS, "set.clear", b.schema);
    this.lastModified = NamedSql.load(NamedSql.SETS, "set.last_modified", b.schema);
  }

  /** A builder of a store over {@code dataSource} (a connection pool such as HikariCP). */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** The schema of this store's tables. */
  public String schema() {
    return db.schema();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException {@code set} or {@code member} contains U+0000
   */
  @Override
  public boolean add(String set, String member) {
    PostgresText.requireNoNul("set", set);
    PostgresText.requireNoNul("member", member);
    return change(add, "add to set " + set, set, member);
  }

  @Override
  public boolean remove(String set, String member) {
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(member, "member");
    if (PostgresText.hasNul(set) || PostgresText.hasNul(member)) {
      return false;
    }
    return change(remove, "remove from set " + set, set, member);
  }

  private boolean change(NamedSql statement, String what, String set, String member) {
    long now = clock.millis();
    return db.run(
        what,
        c -> {
          try (PreparedStatement ps = statement.prepare(c)) {
            statement.setText(ps, "set", set);
            statement.setText(ps, "member", member);
            statement.setLong(ps, "now", now);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1) == 1;
            }
          }
        });
  }

  @Override
  public boolean contains(String set, String member) {
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(member, "member");
    if (PostgresText.hasNul(set) || PostgresText.hasNul(member)) {
      return false;
    }
    return db.run(
        "contains of set " + set,
        c -> {
          try (PreparedStatement ps = contains.prepare(c)) {
            contains.setText(ps, "set", set);
            contains.setText(ps, "member", member);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  @Override
  public Set<String> members(String set) {
    Objects.requireNonNull(set, "set");
    if (PostgresText.hasNul(set)) {
      return Set.of();
    }
    return db.run(
        "members of set " + set,
        c -> {
          try (PreparedStatement ps = members.prepare(c)) {
            members.setText(ps, "set", set);
            Set<String> out = new HashSet<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getString(1));
              }
            }
            return Set.copyOf(out);
          }
        });
  }

  @Override
  public int clear(String set) {
    Objects.requireNonNull(set, "set");
    if (PostgresText.hasNul(set)) {
      return 0;
    }
    return db.run(
        "clear of set " + set,
        c -> {
          try (PreparedStatement ps = clear.prepare(c)) {
            clear.setText(ps, "set", set);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return Math.toIntExact(rs.getLong(1));
            }
          }
        });
  }

  @Override
  public Optional<Instant> lastModified(String set) {
    Objects.requireNonNull(set, "set");
    if (PostgresText.hasNul(set)) {
      return Optional.empty();
    }
    return db.run(
        "last-modified time of set " + set,
        c -> {
          try (PreparedStatement ps = lastModified.prepare(c)) {
            lastModified.setText(ps, "set", set);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next()
                  ? Optional.of(Instant.ofEpochMilli(rs.getLong(1)))
                  : Optional.<Instant>empty();
            }
          }
        });
  }

  /** Does nothing: the {@link DataSource} belongs to the caller, who closes it. */
  @Override
  public void close() {}

  @Override
  public String toString() {
    return "PostgresProcessedSetStore[" + db.describe() + "]";
  }

  /**
   * Builds a {@link PostgresProcessedSetStore}; the settings are {@link PostgresStoreBuilder}'s.
   * Not thread-safe.
   */
  public static final class Builder
      extends PostgresStoreBuilder<Builder, PostgresProcessedSetStore> {

    private Builder(DataSource dataSource) {
      super(dataSource);
    }

    @Override
    PostgresProcessedSetStore create(PostgresDatabase db) {
      return new PostgresProcessedSetStore(this, db);
    }
  }
}
