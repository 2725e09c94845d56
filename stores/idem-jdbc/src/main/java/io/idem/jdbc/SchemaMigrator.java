package io.idem.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a dialect's versioned schema scripts ({@code V001__records.sql}, {@code V002__...}) that
 * a database has not had yet, and records them in {@code idem_schema_history}.
 *
 * <p>Steps:
 *
 * <ol>
 *   <li>take the database's write lock ({@link Dialect#beginExclusive}), so a second process waits;
 *   <li>create {@code idem_schema_history (version, description, applied_at)} when it is missing
 *       (an up-to-date database sees no DDL at all, so a role without DDL rights can start);
 *   <li>read the applied versions; run each missing script's statements and insert its version;
 *   <li>commit: the missing scripts in one transaction, so a failing script leaves nothing.
 * </ol>
 *
 * A database whose history has a version this code does not know (a newer Idem wrote it) is refused
 * with a message naming both versions.
 */
public final class SchemaMigrator {

  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);
  private static final Pattern NAME = Pattern.compile("V(\\d{3,})__([A-Za-z0-9_]+)\\.sql");

  private final Dialect dialect;
  private final Class<?> anchor;
  private final Clock clock;

  /** One script: its version, description and statements. */
  public record Migration(int version, String description, List<String> statements) {}

  public SchemaMigrator(Dialect dialect, Class<?> anchor, Clock clock) {
    this.dialect = dialect;
    this.anchor = anchor;
    this.clock = clock;
  }

  /** The scripts of the dialect, in order. */
  public List<Migration> migrations() {
    String location = dialect.schemaLocation();
    String list = SqlStatements.Resources.read(anchor, location + "/migrations.list");
    List<Migration> out = new ArrayList<>();
    int last = 0;
    for (String line : list.split("\n")) {
      String name = line.strip();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      Matcher m = NAME.matcher(name);
      if (!m.matches()) {
        throw new IllegalStateException("bad migration name " + name + " in " + location);
      }
      int version = Integer.parseInt(m.group(1));
      if (version <= last) {
        throw new IllegalStateException("migrations out of order at " + name + " in " + location);
      }
      last = version;
      String script = SqlStatements.Resources.read(anchor, location + "/" + name);
      out.add(new Migration(version, m.group(2), split(script)));
    }
    return out;
  }

  /**
   * Brings the schema on {@code connection} (in auto-commit mode) up to date.
   *
   * @return the versions applied now (empty when it was up to date)
   */
  public List<Integer> migrate(Connection connection) throws SQLException {
    List<Migration> migrations = migrations();
    List<Integer> applied = new ArrayList<>();
    dialect.beginExclusive(connection);
    try {
      if (!historyExists(connection)) { // under the lock: two processes never both create it
        try (Statement s = connection.createStatement()) {
          s.execute(
              "CREATE TABLE idem_schema_history ("
                  + "version INTEGER NOT NULL PRIMARY KEY, "
                  + "description VARCHAR(200) NOT NULL, "
                  + "applied_at BIGINT NOT NULL)");
        }
      }
      List<Integer> done = appliedVersions(connection);
      int known = migrations.isEmpty() ? 0 : migrations.get(migrations.size() - 1).version();
      int newest = done.isEmpty() ? 0 : done.get(done.size() - 1);
      if (newest > known) {
        throw new IllegalStateException(
            "the "
                + dialect.name()
                + " database has schema version "
                + newest
                + ", newer than this Idem knows ("
                + known
                + "): upgrade Idem");
      }
      for (Migration m : migrations) {
        if (done.contains(m.version())) {
          continue;
        }
        try (Statement s = connection.createStatement()) {
          for (String sql : m.statements()) {
            s.execute(sql);
          }
        }
        try (PreparedStatement ps =
            connection.prepareStatement(
                "INSERT INTO idem_schema_history (version, description, applied_at) "
                    + "VALUES (?, ?, ?)")) {
          ps.setInt(1, m.version());
          ps.setString(2, m.description());
          ps.setLong(3, clock.millis());
          ps.executeUpdate();
        }
        applied.add(m.version());
      }
      dialect.commit(connection);
    } catch (SQLException | RuntimeException e) {
      dialect.rollback(connection);
      throw e;
    }
    if (!applied.isEmpty()) {
      LOG.info("Applied {} schema versions {}", dialect.name(), applied);
    }
    return applied;
  }

  /** Whether the history table exists in the connection's schema; no DDL, so no rights needed. */
  private static boolean historyExists(Connection connection) throws SQLException {
    String schema = connection.getSchema();
    try (ResultSet rs =
        connection.getMetaData().getTables(null, schema, "idem_schema_history", null)) {
      return rs.next();
    }
  }

  private static List<Integer> appliedVersions(Connection connection) throws SQLException {
    List<Integer> versions = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT version FROM idem_schema_history ORDER BY version")) {
      while (rs.next()) {
        versions.add(rs.getInt(1));
      }
    }
    return versions;
  }

  /** Splits a script on ';' at the end of a line; '--' comment lines are dropped. */
  static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("--") || trimmed.isEmpty()) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        String sql = current.toString().strip();
        statements.add(sql.substring(0, sql.length() - 1));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      statements.add(current.toString().strip());
    }
    return statements;
  }
}
