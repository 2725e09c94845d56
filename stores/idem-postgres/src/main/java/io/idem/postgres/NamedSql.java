package io.idem.postgres;

import io.idem.jdbc.SqlStatements;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGStatement;

/**
 * One statement of a statements resource ({@code idempotency.sql}, {@code sets.sql}, {@code
 * locks.sql}, {@code jobs.sql}) for one schema: {@code {schema}} replaced by the quoted schema
 * name, and {@code :name} parameters turned into JDBC {@code ?} markers that are bound by name (a
 * name may occur several times). {@code ::} casts and text in single quotes are left alone.
 * Immutable and thread-safe.
 */
final class NamedSql {

  /** The statements of {@link PostgresIdempotencyStore}. */
  static final String IDEMPOTENCY = "io/idem/postgres/idempotency.sql";

  /** The statements of {@link PostgresProcessedSetStore}. */
  static final String SETS = "io/idem/postgres/sets.sql";

  /** The statements of {@link PostgresLockStore} and {@link PostgresAdvisoryLockStore}. */
  static final String LOCKS = "io/idem/postgres/locks.sql";

  /** The statements of {@link PostgresJobStore}. */
  static final String JOBS = "io/idem/postgres/jobs.sql";

  private static final Map<String, SqlStatements> RESOURCES = new ConcurrentHashMap<>();

  private final String name;
  private final String sql;
  private final List<String> parameters;

  /** Whether every execution is planned for its parameters and the table's size then. */
  private final boolean customPlans;

  /** Each parameter's 1-based markers within one copy of the statement. */
  private final Map<String, int[]> markers;

  private NamedSql(String name, String sql, List<String> parameters) {
    this(name, sql, parameters, false);
  }

  private NamedSql(String name, String sql, List<String> parameters, boolean customPlans) {
    this.name = name;
    this.sql = sql;
    this.parameters = List.copyOf(parameters);
    this.customPlans = customPlans;
    Map<String, int[]> at = new HashMap<>();
    for (int i = 0; i < parameters.size(); i++) {
      int[] before = at.getOrDefault(parameters.get(i), new int[0]);
      int[] after = Arrays.copyOf(before, before.length + 1);
      after[before.length] = i + 1;
      at.put(parameters.get(i), after);
    }
    this.markers = Map.copyOf(at);
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

  /**
   * This statement, planned afresh at every execution ({@link #prepare} tells pgjdbc not to make it
   * a named server-side statement, so PostgreSQL plans each execution for its parameters and for
   * the table's size at that moment). For statements whose best plan depends on how many rows the
   * table holds (an ordered index walk with a LIMIT against a bitmap scan and a sort; an index
   * range against a scan of the table): a generic plan cached while a queue table was small, or
   * while its statistics were, keeps sorting every due row at each claim once it is large. The cost
   * is a planning per execution (a fraction of a millisecond).
   */
  NamedSql customPlans() {
    return new NamedSql(name, sql, parameters, true);
  }

  /**
   * This statement after {@code statements} (which have no parameters), sent with it as one round
   * trip: for {@code SET LOCAL} planner settings that must hold when it is planned, in a
   * transaction. Its result is then not the first one of the round trip.
   */
  NamedSql after(String statements) {
    if (statements.indexOf('?') >= 0 || statements.indexOf(':') >= 0) {
      throw new IllegalArgumentException("statements before " + name + " take no parameters");
    }
    return new NamedSql(name, statements + sql, parameters, customPlans);
  }

  /** Whether {@link #customPlans} was asked for. */
  boolean hasCustomPlans() {
    return customPlans;
  }

  /** A prepared statement of this SQL on {@code connection}; the caller closes it. */
  PreparedStatement prepare(Connection connection) throws SQLException {
    PreparedStatement ps = connection.prepareStatement(sql);
    if (customPlans && ps.isWrapperFor(PGStatement.class)) {
      ps.unwrap(PGStatement.class).setPrepareThreshold(0);
    }
    return ps;
  }

  /**
   * This statement {@code times} times over, separated by ';': one {@link PreparedStatement} that
   * pgjdbc sends in one round trip, whose results come back one after the other. Bind the
   * parameters of the k-th copy with the setters that take a {@code copy} (0 to times - 1).
   */
  String repeatedSql(int times) {
    if (times < 1) {
      throw new IllegalArgumentException("times must be positive, but was " + times);
    }
    StringBuilder sb = new StringBuilder(sql.length() * times + times * 2);
    for (int i = 0; i < times; i++) {
      if (i > 0) {
        sb.append(";\n");
      }
      sb.append(sql);
    }
    return sb.toString();
  }

  /**
   * The 1-based markers of {@code parameter} within one copy of the statement (see {@link
   * #repeatedSql}), from a map made once per statement, so that binding allocates nothing.
   *
   * @throws IllegalArgumentException the statement has no such parameter
   */
  private int[] markers(String parameter) {
    int[] at = markers.get(parameter);
    if (at == null) {
      throw new IllegalArgumentException("no parameter :" + parameter + " in statement " + name);
    }
    return at;
  }

  void setLong(PreparedStatement ps, String parameter, long value) throws SQLException {
    setLong(ps, 0, parameter, value);
  }

  void setLong(PreparedStatement ps, int copy, String parameter, long value) throws SQLException {
    int base = copy * parameters.size();
    for (int i : markers(parameter)) {
      ps.setLong(base + i, value);
    }
  }

  /** Binds {@code value}, or SQL NULL typed as bigint. */
  void setLongOrNull(PreparedStatement ps, String parameter, @Nullable Long value)
      throws SQLException {
    setLongOrNull(ps, 0, parameter, value);
  }

  void setLongOrNull(PreparedStatement ps, int copy, String parameter, @Nullable Long value)
      throws SQLException {
    int base = copy * parameters.size();
    for (int i : markers(parameter)) {
      if (value == null) {
        ps.setNull(base + i, Types.BIGINT);
      } else {
        ps.setLong(base + i, value);
      }
    }
  }

  void setInt(PreparedStatement ps, String parameter, int value) throws SQLException {
    setInt(ps, 0, parameter, value);
  }

  void setInt(PreparedStatement ps, int copy, String parameter, int value) throws SQLException {
    int base = copy * parameters.size();
    for (int i : markers(parameter)) {
      ps.setInt(base + i, value);
    }
  }

  void setText(PreparedStatement ps, String parameter, @Nullable String value) throws SQLException {
    setText(ps, 0, parameter, value);
  }

  void setText(PreparedStatement ps, int copy, String parameter, @Nullable String value)
      throws SQLException {
    int base = copy * parameters.size();
    for (int i : markers(parameter)) {
      if (value == null) {
        ps.setNull(base + i, Types.VARCHAR);
      } else {
        ps.setString(base + i, value);
      }
    }
  }

  /** Binds {@code values} as a {@code text[]}. */
  void setTextArray(PreparedStatement ps, String parameter, List<String> values)
      throws SQLException {
    setArray(ps, parameter, "text", values.toArray());
  }

  /**
   * Binds {@code values} (nulls allowed) as an array of the PostgreSQL type {@code elementType}
   * ({@code "text"}, {@code "bigint"}, {@code "integer"}, {@code "smallint"}).
   */
  void setArray(PreparedStatement ps, String parameter, String elementType, Object[] values)
      throws SQLException {
    java.sql.Array array = ps.getConnection().createArrayOf(elementType, values);
    for (int i : markers(parameter)) {
      ps.setArray(i, array);
    }
  }

  @Override
  public String toString() {
    return name + ": " + sql;
  }
}
