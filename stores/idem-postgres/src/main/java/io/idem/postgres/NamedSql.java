package io.idem.postgres;

import io.idem.jdbc.SqlStatements;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * One statement of a statements resource ({@code idempotency.sql}, {@code sets.sql}, {@code
 * locks.sql}) for one schema: {@code {schema}} replaced by the quoted schema name, and {@code
 * :name} parameters turned into JDBC {@code ?} markers that are bound by name (a name may occur
 * several times). {@code ::} casts and text in single quotes are left alone. Immutable and
 * thread-safe.
 */
final class NamedSql {

  /** The statements of {@link PostgresIdempotencyStore}. */
  static final String IDEMPOTENCY = "io/idem/postgres/idempotency.sql";

  /** The statements of {@link PostgresProcessedSetStore}. */
  static final String SETS = "io/idem/postgres/sets.sql";

  /** The statements of {@link PostgresLockStore} and {@link PostgresAdvisoryLockStore}. */
  static final String LOCKS = "io/idem/postgres/locks.sql";

  private static final Map<String, SqlStatements> RESOURCES = new ConcurrentHashMap<>();

  private final String name;
  private final String sql;
  private final List<String> parameters;

  private NamedSql(String name, String sql, List<String> parameters) {
    this.name = name;
    this.sql = sql;
    this.parameters = List.copyOf(parameters);
  }

  /** Statement {@code name} of {@code idempotency.sql} for {@code schema} (already validated). */
  static NamedSql load(String name, String schema) {
    return load(IDEMPOTENCY, name, schema);
  }

  /** Statement {@code name} of {@code resource} for {@code schema} (already validated). */
  static NamedSql load(String resource, String name, String schema) {
    SqlStatements statements =
        RESOURCES.computeIfAbsent(resource, r -> SqlStatements.load(NamedSql.class, r));
    String text = statements.get(name).replace("{schema}", PostgresSchema.quote(schema));
    if (text.contains("{") || text.contains("}")) {
      throw new IllegalStateException(
          "statement '" + name + "' in " + resource + " has an unknown placeholder: " + text);
    }
    return parse(name, text);
  }

  /** Turns {@code :name} parameters of {@code text} into {@code ?}. */
  static NamedSql parse(String name, String text) {
    StringBuilder out = new StringBuilder(text.length());
    List<String> parameters = new ArrayList<>();
    boolean quoted = false;
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '\'') {
        quoted = !quoted;
        out.append(c);
        i++;
      } else if (!quoted && c == ':' && i + 1 < text.length() && text.charAt(i + 1) == ':') {
        out.append("::");
        i += 2;
      } else if (!quoted && c == ':' && i + 1 < text.length() && isStart(text.charAt(i + 1))) {
        int end = i + 1;
        while (end < text.length() && isPart(text.charAt(end))) {
          end++;
        }
        parameters.add(text.substring(i + 1, end));
        out.append('?');
        i = end;
      } else {
        out.append(c);
        i++;
      }
    }
    if (quoted) {
      throw new IllegalStateException("unterminated quote in statement '" + name + "'");
    }
    return new NamedSql(name, out.toString(), parameters);
  }

  private static boolean isStart(char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  }

  private static boolean isPart(char c) {
    return isStart(c) || (c >= '0' && c <= '9');
  }

  /** The statement with {@code ?} markers. */
  String sql() {
    return sql;
  }

  /** The parameter names in marker order. */
  List<String> parameters() {
    return parameters;
  }

  /** A prepared statement of this SQL on {@code connection}; the caller closes it. */
  PreparedStatement prepare(Connection connection) throws SQLException {
    return connection.prepareStatement(sql);
  }

  void setLong(PreparedStatement ps, String parameter, long value) throws SQLException {
    boolean found = false;
    for (int i = 0; i < parameters.size(); i++) {
      if (parameters.get(i).equals(parameter)) {
        ps.setLong(i + 1, value);
        found = true;
      }
    }
    requireFound(parameter, found);
  }

  void setInt(PreparedStatement ps, String parameter, int value) throws SQLException {
    boolean found = false;
    for (int i = 0; i < parameters.size(); i++) {
      if (parameters.get(i).equals(parameter)) {
        ps.setInt(i + 1, value);
        found = true;
      }
    }
    requireFound(parameter, found);
  }

  void setText(PreparedStatement ps, String parameter, @Nullable String value) throws SQLException {
    boolean found = false;
    for (int i = 0; i < parameters.size(); i++) {
      if (parameters.get(i).equals(parameter)) {
        if (value == null) {
          ps.setNull(i + 1, Types.VARCHAR);
        } else {
          ps.setString(i + 1, value);
        }
        found = true;
      }
    }
    requireFound(parameter, found);
  }

  private void requireFound(String parameter, boolean found) {
    if (!found) {
      throw new IllegalArgumentException("no parameter :" + parameter + " in statement " + name);
    }
  }

  @Override
  public String toString() {
    return name + ": " + sql;
  }
}
