package io.idem.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Named SQL statements read from a classpath resource, so that SQL lives in {@code .sql} files and
 * not in Java strings. A statement starts at a line {@code -- name: some.name} and runs to the next
 * such line; other comment lines and a trailing ';' are dropped.
 *
 * <pre>
 * -- name: record.select
 * SELECT ... FROM idem_records WHERE key = ?
 * </pre>
 *
 * Immutable and thread-safe.
 */
public final class SqlStatements {

  private static final String MARK = "-- name:";

  private final String resource;
  private final Map<String, String> statements;

  private SqlStatements(String resource, Map<String, String> statements) {
    this.resource = resource;
    this.statements = Map.copyOf(statements);
  }

  /** Loads {@code resource} (a path such as {@code io/idem/sqlite/idempotency.sql}). */
  public static SqlStatements load(Class<?> anchor, String resource) {
    String text = Resources.read(anchor, resource);
    Map<String, String> statements = new LinkedHashMap<>();
    String name = null;
    StringBuilder sql = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.startsWith(MARK)) {
        put(statements, name, sql, resource);
        name = trimmed.substring(MARK.length()).strip();
        sql.setLength(0);
      } else if (!trimmed.startsWith("--") && !trimmed.isEmpty()) {
        sql.append(line.stripTrailing()).append('\n');
      }
    }
    put(statements, name, sql, resource);
    return new SqlStatements(resource, statements);
  }

  private static void put(
      Map<String, String> statements, String name, StringBuilder sql, String resource) {
    if (name == null) {
      return;
    }
    String text = sql.toString().strip();
    if (text.endsWith(";")) {
      text = text.substring(0, text.length() - 1).strip();
    }
    if (text.isEmpty() || statements.put(name, text) != null) {
      throw new IllegalStateException(
          "statement '" + name + "' in " + resource + " is empty or defined twice");
    }
  }

  /** The statement called {@code name}. */
  public String get(String name) {
    String sql = statements.get(Objects.requireNonNull(name, "name"));
    if (sql == null) {
      throw new IllegalArgumentException("no statement '" + name + "' in " + resource);
    }
    return sql;
  }

  /** Every statement by name. */
  public Map<String, String> all() {
    return statements;
  }

  /** Reading resources. */
  static final class Resources {
    private Resources() {}

    static String read(Class<?> anchor, String resource) {
      try (InputStream in = anchor.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + resource);
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("\r\n", "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read resource " + resource, e);
      }
    }
  }
}
