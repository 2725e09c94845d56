package io.idem.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sqlite.SQLiteConfig;

/**
 * Every row of a tenant's SQLite store, read straight from its file (not through the server), to
 * check that requests wrote nothing: records (Idempotency-Key replies included), jobs, duplicates,
 * locks, tracker sets and members, sequences.
 */
final class StoreContents {

  private StoreContents() {}

  /**
   * Table name to its rows (each row its columns as text, the rows sorted) of {@code tenant}'s
   * SQLite file under {@code dataDir}.
   *
   * @throws IllegalStateException when the file does not exist (the tenant was never opened)
   */
  static Map<String, List<String>> of(Path dataDir, String tenant) {
    Path file = TenantNamespace.sqliteFile(dataDir, tenant);
    if (!Files.exists(file)) {
      throw new IllegalStateException("no store of tenant " + tenant + ": " + file);
    }
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    Map<String, List<String>> out = new TreeMap<>();
    try (Connection c = config.createConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
        while (r.next()) {
          tables.add(r.getString(1));
        }
      }
      for (String table : tables) {
        List<String> rows = new ArrayList<>();
        try (ResultSet r = s.executeQuery("SELECT * FROM \"" + table + "\"")) {
          ResultSetMetaData m = r.getMetaData();
          while (r.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= m.getColumnCount(); i++) {
              row.append(i == 1 ? "" : ", ").append(m.getColumnName(i)).append('=');
              row.append(r.getString(i));
            }
            rows.add(row.toString());
          }
        }
        Collections.sort(rows);
        out.put(table, rows);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** How many rows each table of {@code contents} has. */
  static Map<String, Integer> counts(Map<String, List<String>> contents) {
    Map<String, Integer> out = new TreeMap<>();
    contents.forEach((table, rows) -> out.put(table, rows.size()));
    return out;
  }
}
