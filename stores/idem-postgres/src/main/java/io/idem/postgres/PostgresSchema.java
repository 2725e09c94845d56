package io.idem.postgres;

import io.idem.StoreUnavailableException;
import io.idem.jdbc.SchemaMigrator;
import io.idem.jdbc.SchemaMigrator.Migration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Idem's PostgreSQL schema, all in one PostgreSQL schema of your choice:
 *
 * <ul>
 *   <li>version 1 ({@code V001__idempotency_records.sql}): table {@code idem_records} (one row per
 *       key), index {@code idem_records_expires_at}, sequence {@code idem_token_seq} (fencing
 *       tokens), for {@link PostgresIdempotencyStore};
 *   <li>version 2 ({@code V002__sets_and_locks.sql}): tables {@code idem_set_members} and {@code
 *       idem_sets} for {@link PostgresProcessedSetStore}, and {@code idem_locks} (one row per lock
 *       name, never deleted, keeping its token) for {@link PostgresLockStore} and {@link
 *       PostgresAdvisoryLockStore};
 *   <li>version 3 ({@code V003__jobs.sql}): table {@code idem_jobs} (one row per job) with the
 *       partial unique index {@code idem_jobs_unique_key} (one holder per unique key) and the
 *       indexes of claims, maintenance, listing and purge, and table {@code idem_job_duplicates}
 *       (duplicates prevented per key), for {@link PostgresJobStore};
 *   <li>{@code idem_schema_history}: the versions applied.
 * </ul>
 *
 * The schema is kept as versioned scripts ({@code io/idem/postgres/schema/V*.sql}); a new Idem
 * version may add scripts, never change applied ones. Every store of this module applies all of
 * them (by default), so building any one store makes the tables of all of them.
 *
 * <p>Two ways to apply it:
 *
 * <ol>
 *   <li><b>Let Idem do it</b> (the default): {@link PostgresIdempotencyStore.Builder#build()} (and
 *       the build of every other store of this module) calls {@link #apply(DataSource, String)},
 *       which needs the right to create tables (and the schema, when it does not exist yet).
 *       Processes starting at once apply it one after the other, under a transaction-scoped
 *       advisory lock.
 *   <li><b>Apply it yourself</b> (Flyway, Liquibase, a DBA): take the SQL from {@link
 *       #scripts(String)}, run each script once in order, in one transaction each, and build the
 *       store with {@code applySchema(false)}. The scripts also record their versions in {@code
 *       idem_schema_history}, so a later {@link #apply} (or a store built with the default) knows
 *       they are there and only adds newer versions.
 * </ol>
 *
 * <pre>{@code
 * PostgresSchema.apply(dataSource, "idem");               // at deploy time, or
 * for (String sql : PostgresSchema.scripts("idem")) { ... } // hand them to your tool
 * IdempotencyStore store =
 *     PostgresIdempotencyStore.builder(dataSource).schema("idem").applySchema(false).build();
 * }</pre>
 *
 * <p>Thread-safe (no state).
 */
public final class PostgresSchema {

  /** The schema used when none is named: {@code public}. */
  public static final String DEFAULT_SCHEMA = "public";

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  /** The history table, as {@link SchemaMigrator} makes it. */
  private static final String HISTORY_TABLE =
      "CREATE TABLE IF NOT EXISTS %s.idem_schema_history ("
          + "version INTEGER NOT NULL PRIMARY KEY, "
          + "description VARCHAR(200) NOT NULL, "
          + "applied_at BIGINT NOT NULL)";

  /**
   * In a script: a name after which an {@code idem_} object is a table or sequence to qualify
   * (group 2), or the name of a new index, which PostgreSQL puts beside its table and which must
   * stay bare (group 1), or a quoted name in a function argument such as {@code nextval} (group 3).
   */
  private static final Pattern OBJECT =
      Pattern.compile(
          "(?i)(CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+(?:CONCURRENTLY\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s+)?"
              + "idem_\\w+)"
              + "|(\\b(?:TABLE|SEQUENCE|ON|INTO|REFERENCES|FROM|UPDATE|ONLY|EXISTS)\\s+)"
              + "(?=idem_\\w)"
              + "|('(?=idem_\\w+'))");

  private PostgresSchema() {}

  /**
   * Brings the Idem schema in {@code schema} up to date: creates the PostgreSQL schema when it does
   * not exist, then applies the versions not applied yet, each in its own transaction, holding the
   * advisory lock {@code pg_advisory_xact_lock(0x4944454D5343484D)} so that processes doing it at
   * once wait for each other. The connection's {@code search_path} is set to {@code schema} for the
   * migration and restored afterwards. When every version is applied already, nothing is created
   * and only {@code idem_schema_history} is read, so a role that may not create tables can build
   * stores with the default {@code applySchema(true)} once the schema is in place.
   *
   * @param schema a plain lower-case SQL identifier, such as {@code public} or {@code idem}
   * @return the versions applied now; empty when the schema was up to date
   * @throws IllegalArgumentException {@code schema} is not a plain lower-case identifier
   * @throws StoreUnavailableException PostgreSQL failed or refused (no right to create tables, a
   *     schema written by a newer Idem); the message names the server and the schema
   */
  public static List<Integer> apply(DataSource dataSource, String schema) {
    return apply(dataSource, schema, Clock.systemUTC());
  }

  static List<Integer> apply(DataSource dataSource, String schema, Clock clock) {
    Objects.requireNonNull(dataSource, "dataSource");
    requireValid(schema);
    return apply(new PostgresDatabase(dataSource, schema), clock);
  }

  /** Applies the schema through {@code db}, which learns the server's address on the way. */
  static List<Integer> apply(PostgresDatabase db, Clock clock) {
    Objects.requireNonNull(clock, "clock");
    String schema = db.schema();
    try {
      return db.run("applying the Idem schema", c -> migrate(c, schema, clock));
    } catch (IllegalStateException e) {
      throw db.unavailable("applying the Idem schema", e);
    }
  }

  private static List<Integer> migrate(Connection c, String schema, Clock clock)
      throws SQLException {
    PostgresDialect dialect = PostgresDialect.INSTANCE;
    SchemaMigrator migrator = new SchemaMigrator(dialect, PostgresSchema.class, clock);
    List<Integer> known = new ArrayList<>();
    for (Migration m : migrator.migrations()) {
      known.add(m.version());
    }
    // Under the lock, make the schema and the history table (the migrator creates its history
    // table before it locks, and concurrent CREATE ... IF NOT EXISTS of one new object can fail
    // in PostgreSQL with a unique violation in the catalog), and stop here when every version is
    // applied: no DDL at all then, so a role without the right to create tables can start.
    dialect.beginExclusive(c);
    try {
      if (!exists(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?", schema)) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE SCHEMA " + quote(schema));
        }
      }
      String history = quote(schema) + ".idem_schema_history";
      if (!exists(c, "SELECT 1 WHERE to_regclass(?) IS NOT NULL", history)) {
        try (Statement s = c.createStatement()) {
          s.execute(String.format(HISTORY_TABLE, quote(schema)));
        }
      } else if (appliedVersions(c, history).equals(known)) {
        dialect.commit(c);
        return List.of();
      }
      dialect.commit(c);
    } catch (SQLException | RuntimeException e) {
      dialect.rollback(c);
      throw e;
    }
    String searchPath;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW search_path")) {
      rs.next();
      searchPath = rs.getString(1);
    }
    setSearchPath(c, quote(schema));
    try {
      return migrator.migrate(c);
    } finally {
      setSearchPath(c, searchPath);
    }
  }

  private static List<Integer> appliedVersions(Connection c, String history) throws SQLException {
    List<Integer> versions = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version FROM " + history + " ORDER BY version")) {
      while (rs.next()) {
        versions.add(rs.getInt(1));
      }
    }
    return versions;
  }

  private static boolean exists(Connection c, String sql, String parameter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, parameter);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static void setSearchPath(Connection c, String path) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pg_catalog.set_config('search_path', ?, false)")) {
      ps.setString(1, path);
      ps.executeQuery().close();
    }
  }

  /**
   * The SQL of every schema version for {@code schema}, oldest first, with every table and sequence
   * qualified by {@code schema}: for Flyway, Liquibase or a DBA. Run each script once, in order, in
   * one transaction each (as {@code psql --single-transaction -f} or a migration tool does). Each
   * script creates {@code idem_schema_history} when missing and records its version there, so that
   * {@link #apply} and stores built with {@code applySchema(true)} skip it. The PostgreSQL schema
   * itself must exist ({@code CREATE SCHEMA} it first unless it is {@code public}).
   *
   * @throws IllegalArgumentException {@code schema} is not a plain lower-case identifier
   */
  public static List<String> scripts(String schema) {
    requireValid(schema);
    String q = quote(schema);
    List<String> out = new ArrayList<>();
    for (Migration m : migrations()) {
      StringBuilder sb = new StringBuilder();
      sb.append("-- Idem PostgreSQL schema version ")
          .append(m.version())
          .append(" (")
          .append(m.description())
          .append(") in schema ")
          .append(schema)
          .append(".\n-- Run once, in one transaction, after the versions before it.\n");
      sb.append(String.format(HISTORY_TABLE, q)).append(";\n");
      for (String statement : m.statements()) {
        sb.append(qualify(statement, q)).append(";\n");
      }
      sb.append("INSERT INTO ")
          .append(q)
          .append(".idem_schema_history (version, description, applied_at) VALUES (")
          .append(m.version())
          .append(", '")
          .append(m.description())
          .append("', (extract(epoch FROM clock_timestamp()) * 1000)::bigint);\n");
      out.add(sb.toString());
    }
    return List.copyOf(out);
  }

  private static List<Migration> migrations() {
    return new SchemaMigrator(PostgresDialect.INSTANCE, PostgresSchema.class, Clock.systemUTC())
        .migrations();
  }

  /** {@code statement} with its {@code idem_} tables and sequences qualified by {@code quoted}. */
  static String qualify(String statement, String quoted) {
    Matcher m = OBJECT.matcher(statement);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group(1) != null) {
        replacement = m.group(1);
      } else if (m.group(2) != null) {
        replacement = m.group(2) + quoted + ".";
      } else {
        replacement = "'" + quoted + ".";
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /**
   * {@code schema} when it is a plain lower-case SQL identifier: a letter or '_', then letters,
   * digits or '_', at most 63 characters, not starting with {@code pg_} (PostgreSQL's own).
   *
   * @throws IllegalArgumentException otherwise, naming the value
   */
  static String requireValid(String schema) {
    Objects.requireNonNull(schema, "schema");
    if (!IDENTIFIER.matcher(schema).matches() || schema.startsWith("pg_")) {
      throw new IllegalArgumentException(
          "schema must be a plain lower-case SQL identifier (a-z, 0-9 and _, starting with a"
              + " letter or _, at most 63 characters, not starting with pg_), but was \""
              + schema
              + "\"");
    }
    return schema;
  }

  /** The schema name as a quoted identifier (valid names need no escaping). */
  static String quote(String schema) {
    return '"' + schema + '"';
  }
}
