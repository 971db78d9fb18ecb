package dev.polydb.cli.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drops the target's read-only indexes before a load and rebuilds them after it: an HNSW index
 * built once is far faster than one fed row by row. Each index is rebuilt, checked valid and struck
 * from the list of dropped indexes in one transaction, so a copy killed at any point rebuilds
 * exactly what is missing. (Rebuilding a table's indexes while later tables loaded was tried: on
 * two cores the HNSW build already takes both, and the copy got slower.)
 */
final class IndexRebuilder {
  static final String TABLE = "polydb_copy_dropped_indexes";

  /**
   * Creates the list of dropped indexes and drops every index of the library's tables that is
   * neither a primary key nor unique (those guard the data and stay).
   */
  static void dropAll(Connection dst, List<String> tables) throws SQLException {
    try (Statement s = dst.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + TABLE
              + " (index_name text PRIMARY KEY, table_name text NOT NULL, definition text NOT NULL)");
    }
    Map<String, String[]> indexes = new LinkedHashMap<>();
    try (PreparedStatement s =
        dst.prepareStatement(
            "SELECT i.relname, t.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                + " JOIN pg_class i ON i.oid = x.indexrelid"
                + " JOIN pg_class t ON t.oid = x.indrelid"
                + " WHERE t.relnamespace = current_schema()::regnamespace"
                + " AND t.relname = ANY (?) AND NOT x.indisunique AND NOT x.indisprimary")) {
      s.setArray(1, dst.createArrayOf("text", tables.toArray()));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          indexes.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
        }
      }
    }
    try (PreparedStatement record =
            dst.prepareStatement(
                "INSERT INTO " + TABLE + " (index_name, table_name, definition) VALUES (?, ?, ?)");
        Statement drop = dst.createStatement()) {
      for (Map.Entry<String, String[]> index : indexes.entrySet()) {
        record.setString(1, index.getKey());
        record.setString(2, index.getValue()[0]);
        record.setString(3, index.getValue()[1]);
        record.executeUpdate();
        drop.execute("DROP INDEX " + quote(index.getKey()));
      }
    }
  }

  /**
   * Rebuilds every dropped index, on a connection of its own.
   *
   * @param target the target database
   * @param memory the {@code maintenance_work_mem} to build with, e.g. {@code 512MB}
   * @return how many indexes were rebuilt
   * @throws ToolException when an index comes out invalid
   */
  static int rebuildAll(Endpoint target, String memory) throws SQLException {
    try (Connection c = target.connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET statement_timeout = 0");
        s.execute("SET maintenance_work_mem = '" + memory + "'");
      }
      Map<String, String> pending = new LinkedHashMap<>();
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT index_name, definition FROM " + TABLE + " ORDER BY index_name")) {
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            pending.put(rs.getString(1), rs.getString(2));
          }
        }
      }
      c.commit();
      for (Map.Entry<String, String> index : pending.entrySet()) {
        try (Statement s = c.createStatement()) {
          s.execute(index.getValue());
        }
        checkValid(c, index.getKey());
        try (PreparedStatement strike =
            c.prepareStatement("DELETE FROM " + TABLE + " WHERE index_name = ?")) {
          strike.setString(1, index.getKey());
          strike.executeUpdate();
        }
        c.commit();
      }
      return pending.size();
    }
  }

  private static void checkValid(Connection c, String index) throws SQLException {
    try (PreparedStatement check =
        c.prepareStatement(
            "SELECT x.indisvalid AND x.indisready FROM pg_index x"
                + " JOIN pg_class i ON i.oid = x.indexrelid"
                + " WHERE i.relnamespace = current_schema()::regnamespace AND i.relname = ?")) {
      check.setString(1, index);
      try (ResultSet rs = check.executeQuery()) {
        if (!rs.next() || !rs.getBoolean(1)) {
          c.rollback();
          throw ToolException.failed(
              "rebuilt index " + index + " is not valid; rerun with --resume");
        }
      }
    }
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
