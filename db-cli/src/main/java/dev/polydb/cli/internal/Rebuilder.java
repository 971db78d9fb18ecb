package dev.polydb.cli.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Drops the target's foreign keys, primary keys, unique constraints and indexes before a load and
 * re-creates them after it, as pgloader does: a COPY then writes bare tables, with no index to
 * maintain row by row and no foreign-key trigger per row, and each index is built once, by a sort
 * (or, for HNSW, far faster than fed row by row). Nothing the load needs is lost: the copy resumes
 * by key order and its progress table, not by the target's constraints.
 *
 * <p>Each definition is listed with its re-creation statement before it is dropped, in the
 * transaction that drops it. On the way back, each is re-created, checked and struck from the list
 * in one transaction of its own, so a copy killed at any point re-creates exactly what is missing.
 * The order is keys, then indexes, then foreign keys (which need the keys they refer to). Re-adding
 * a key or a foreign key checks every row: a source that breaks one fails here, by name. (Building
 * a table's indexes while later tables loaded was tried: on two cores the HNSW build already takes
 * both, and the copy got slower.)
 */
final class Rebuilder {
  static final String TABLE = "polydb_copy_dropped";

  /** The kinds of definition, in the order they are re-created. */
  private static final int KEY = 1;

  private static final int INDEX = 2;
  private static final int FOREIGN_KEY = 3;

  private record Definition(int step, String table, String name, String create) {}

  /**
   * Lists and drops the foreign keys, keys, unique constraints and indexes of the given tables.
   * Definitions an earlier, interrupted copy dropped stay listed.
   */
  static void dropAll(Connection dst, List<String> tables) throws SQLException {
    List<Definition> found = new ArrayList<>();
    // constraints: foreign keys first, then the keys they may refer to; the indexes behind keys
    // go with them
    try (PreparedStatement s =
        dst.prepareStatement(
            "SELECT c.contype, t.relname, c.conname, pg_get_constraintdef(c.oid)"
                + " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
                + " WHERE t.relnamespace = current_schema()::regnamespace"
                + " AND t.relname = ANY (?) AND c.contype IN ('f', 'p', 'u')"
                + " ORDER BY c.contype = 'f' DESC, t.relname, c.conname")) {
      s.setArray(1, dst.createArrayOf("text", tables.toArray()));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String table = rs.getString(2);
          String name = rs.getString(3);
          found.add(
              new Definition(
                  rs.getString(1).equals("f") ? FOREIGN_KEY : KEY,
                  table,
                  name,
                  "ALTER TABLE "
                      + quote(table)
                      + " ADD CONSTRAINT "
                      + quote(name)
                      + " "
                      + rs.getString(4)));
        }
      }
    }
    found.addAll(indexes(dst, tables, null));
    dropListed(dst, found);
  }

  /**
   * Lists and drops one index that backs no constraint, as {@link #dropAll} drops every index.
   *
   * @param dst the database, in a transaction the caller commits
   * @param table the index's table
   * @param index the index
   * @return whether the index existed
   * @throws SQLException when the catalog cannot be read or the index dropped
   */
  static boolean dropIndex(Connection dst, String table, String index) throws SQLException {
    List<Definition> found = indexes(dst, List.of(table), index);
    dropListed(dst, found);
    return !found.isEmpty();
  }

  /**
   * Whether a definition is listed as dropped and not yet re-created.
   *
   * @param c the database
   * @param name the constraint's or index's name
   * @return whether it is listed
   * @throws SQLException when the list cannot be read
   */
  static boolean listed(Connection c, String name) throws SQLException {
    if (!Copier.tableExists(c, TABLE)) {
      return false;
    }
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM " + TABLE + " WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** The indexes of the tables that back no constraint: all of them, or the one named. */
  private static List<Definition> indexes(Connection dst, List<String> tables, String only)
      throws SQLException {
    List<Definition> found = new ArrayList<>();
    try (PreparedStatement s =
        dst.prepareStatement(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                + " JOIN pg_class i ON i.oid = x.indexrelid"
                + " JOIN pg_class t ON t.oid = x.indrelid"
                + " WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY (?)"
                + " AND (?::text IS NULL OR i.relname = ?)"
                + " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid"
                + " AND c.conrelid = t.oid)"
                + " ORDER BY t.relname, i.relname")) {
      s.setArray(1, dst.createArrayOf("text", tables.toArray()));
      s.setString(2, only);
      s.setString(3, only);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          found.add(new Definition(INDEX, rs.getString(1), rs.getString(2), rs.getString(3)));
        }
      }
    }
    return found;
  }

  /** Lists each definition, then drops it, in the caller's transaction. */
  private static void dropListed(Connection dst, List<Definition> found) throws SQLException {
    try (Statement s = dst.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + TABLE
              + " (step integer NOT NULL, table_name text NOT NULL, name text NOT NULL,"
              + " definition text NOT NULL, PRIMARY KEY (table_name, name))");
    }
    try (PreparedStatement record =
            dst.prepareStatement(
                "INSERT INTO "
                    + TABLE
                    + " (step, table_name, name, definition) VALUES (?, ?, ?, ?)");
        Statement drop = dst.createStatement()) {
      for (Definition d : found) {
        record.setInt(1, d.step());
        record.setString(2, d.table());
        record.setString(3, d.name());
        record.setString(4, d.create());
        record.executeUpdate();
        drop.execute(
            d.step() == INDEX
                ? "DROP INDEX " + quote(d.name())
                : "ALTER TABLE " + quote(d.table()) + " DROP CONSTRAINT " + quote(d.name()));
      }
    }
  }

  /**
   * Re-creates every dropped definition, on a connection of its own.
   *
   * @param target the target database
   * @param memory the {@code maintenance_work_mem} to build with, e.g. {@code 512MB}
   * @return how many definitions were re-created
   * @throws ToolException when the copied rows break a key or a foreign key, or an index comes out
   *     invalid
   */
  static int rebuildAll(Endpoint target, String memory) throws SQLException {
    try (Connection c = target.connect()) {
      try (Statement s = c.createStatement()) {
        s.execute("SET statement_timeout = 0");
        s.execute("SET maintenance_work_mem = '" + memory + "'");
        // a killed copy must not leave its build running, and holding its locks, on the server
        s.execute("SET client_connection_check_interval = '2s'");
      } catch (SQLException e) {
        if (!"42704".equals(e.getSQLState())) { // the setting exists from PostgreSQL 14 on
          throw e;
        }
      }
      c.setAutoCommit(false);
      List<Definition> pending = new ArrayList<>();
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT step, table_name, name, definition FROM "
                      + TABLE
                      + " ORDER BY step, table_name, name")) {
        while (rs.next()) {
          pending.add(
              new Definition(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4)));
        }
      }
      c.commit();
      for (Definition d : pending) {
        try (Statement s = c.createStatement()) {
          s.execute(d.create());
        } catch (SQLException e) {
          c.rollback();
          // the server's message may quote row values: only the state and the name are shown
          throw ToolException.failed(
              "re-creating "
                  + d.name()
                  + " on "
                  + d.table()
                  + " failed ("
                  + e.getSQLState()
                  + (d.step() != INDEX || String.valueOf(e.getSQLState()).startsWith("23")
                      ? ": the copied rows break it; fix the source, then copy again with"
                          + " --truncate-target"
                      : "")
                  + ")");
        }
        if (d.step() == INDEX) {
          checkValid(c, d.name());
        }
        try (PreparedStatement strike =
            c.prepareStatement("DELETE FROM " + TABLE + " WHERE table_name = ? AND name = ?")) {
          strike.setString(1, d.table());
          strike.setString(2, d.name());
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
