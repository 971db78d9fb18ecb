package dev.polydb.mirror.internal;

import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Column;
import dev.polydb.migrations.TableModel.Table;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The SQLite side of a mirror: a log table that triggers on every data table fill in the writing
 * transaction, so that the log holds each committed row change in commit order (SQLite has one
 * writer at a time, and {@code AUTOINCREMENT} never reuses nor skips a committed number).
 *
 * <p>Each entry holds the row's new values as a JSON array in {@link TableModel}'s column order
 * (embeddings in hex), or, for a delete, only its key. Entry {@code X} is the break that a provider
 * opened in another mode leaves when it removes the triggers (db-sqlite's {@code MirrorTriggers}):
 * writes after it were not logged.
 */
public final class ChangeLog {
  /** Shared with db-sqlite, which removes triggers of this prefix when it opens in another mode. */
  static final String TRIGGER_PREFIX = "polydb_mirror_";

  static final String LOG = "polydb_mirror_log";

  /**
   * Of {@code vector_settings} only the model is mirrored: the dimension and metric come from the
   * configuration on both sides, and the epoch is SQLite's own (its vector copies).
   */
  static final String SETTINGS = "vector_settings";

  static final String SOURCE = "polydb_mirror_source";

  /** One logged change. */
  record Change(long seq, String table, char op, String key, String image) {
    static final char UPSERT = 'U';
    static final char DELETE = 'D';
    static final char BREAK = 'X';
  }

  private ChangeLog() {}

  /**
   * Creates the log and (re)creates the triggers from the current table model, in one transaction.
   *
   * @param c a connection to the SQLite file
   * @return the file's mirror source id, made once and kept
   */
  static String install(Connection c) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + LOG
              + " (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL,"
              + " row_key TEXT, image TEXT)");
      s.execute("CREATE TABLE IF NOT EXISTS " + SOURCE + " (id TEXT NOT NULL)");
      String source = null;
      try (ResultSet r = s.executeQuery("SELECT id FROM " + SOURCE)) {
        if (r.next()) {
          source = r.getString(1);
        }
      }
      if (source == null) {
        source = UUID.randomUUID().toString();
        try (PreparedStatement p = c.prepareStatement("INSERT INTO " + SOURCE + " VALUES (?)")) {
          p.setString(1, source);
          p.executeUpdate();
        }
      }
      for (String trigger : triggers(c)) {
        s.execute("DROP TRIGGER " + trigger);
      }
      for (Table table : TableModel.TABLES) {
        for (String sql : triggerSql(table)) {
          s.execute(sql);
        }
      }
      s.execute(
          "CREATE TRIGGER "
              + TRIGGER_PREFIX
              + SETTINGS
              + "_model AFTER UPDATE OF model ON "
              + SETTINGS
              + " WHEN OLD.model IS NOT NEW.model BEGIN INSERT INTO "
              + LOG
              + " (tbl, op, row_key, image) VALUES ('"
              + SETTINGS
              + "', 'U', NEW.id, json_array(NEW.model)); END");
      c.commit();
      return source;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /** The mirror triggers in the file. */
  static List<String> triggers(Connection c) throws SQLException {
    List<String> names = new ArrayList<>();
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?")) {
      p.setInt(1, TRIGGER_PREFIX.length());
      p.setString(2, TRIGGER_PREFIX);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          names.add(r.getString(1));
        }
      }
    }
    return names;
  }

  /** Insert, update and delete triggers for a table. */
  static List<String> triggerSql(Table table) {
    String name = table.name();
    String key = table.key();
    String into = "INSERT INTO " + LOG + " (tbl, op, row_key, image) ";
    String upsert =
        into + "VALUES ('" + name + "', 'U', NEW." + key + ", " + image(table, "NEW") + ");";
    return List.of(
        "CREATE TRIGGER "
            + TRIGGER_PREFIX
            + name
            + "_insert AFTER INSERT ON "
            + name
            + " BEGIN "
            + upsert
            + " END",
        "CREATE TRIGGER "
            + TRIGGER_PREFIX
            + name
            + "_update AFTER UPDATE ON "
            + name
            + " BEGIN "
            // a changed key leaves the old row behind on the mirror unless it is deleted first
            + into
            + "SELECT '"
            + name
            + "', 'D', OLD."
            + key
            + ", NULL WHERE OLD."
            + key
            + " IS NOT NEW."
            + key
            + "; "
            + upsert
            + " END",
        "CREATE TRIGGER "
            + TRIGGER_PREFIX
            + name
            + "_delete AFTER DELETE ON "
            + name
            + " BEGIN "
            + into
            + "VALUES ('"
            + name
            + "', 'D', OLD."
            + key
            + ", NULL); END");
  }

  /**
   * The expression that turns a row into its logged image.
   *
   * @param table the table
   * @param row {@code NEW} in a trigger, or empty to read the table itself
   * @return a {@code json_array(…)} expression
   */
  static String image(Table table, String row) {
    String prefix = row.isEmpty() ? "" : row + ".";
    return table.columns().stream()
        .map(c -> column(c, prefix))
        .collect(Collectors.joining(", ", "json_array(", ")"));
  }

  private static String column(Column column, String prefix) {
    // json_array refuses a BLOB; an embedding travels as hex
    return column.kind() == TableModel.Kind.EMBEDDING
        ? "hex(" + prefix + column.name() + ")"
        : prefix + column.name();
  }

  /**
   * The entries after a position, oldest first.
   *
   * @param c a connection to the SQLite file
   * @param after the last entry already applied
   * @param limit the most to read
   * @return the entries
   */
  static List<Change> read(Connection c, long after, int limit) throws SQLException {
    List<Change> changes = new ArrayList<>();
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT seq, tbl, op, row_key, image FROM "
                + LOG
                + " WHERE seq > ? ORDER BY seq LIMIT ?")) {
      p.setLong(1, after);
      p.setInt(2, limit);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          changes.add(
              new Change(
                  r.getLong(1),
                  r.getString(2),
                  r.getString(3).charAt(0),
                  r.getString(4),
                  r.getString(5)));
        }
      }
    }
    return changes;
  }

  /**
   * The embedding model the file records, as a settings change.
   *
   * @param c a connection to the SQLite file, in the snapshot's transaction
   * @return the change, with sequence number 0
   */
  static Change settings(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery("SELECT id, json_array(model) FROM " + SETTINGS + " WHERE id = 1")) {
      r.next();
      return new Change(0, SETTINGS, Change.UPSERT, r.getString(1), r.getString(2));
    }
  }

  /**
   * The first break after a position.
   *
   * @param c a connection to the SQLite file
   * @param after a position
   * @return the break's number, 0 when there is none
   */
  static long firstBreakAfter(Connection c, long after) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement("SELECT min(seq) FROM " + LOG + " WHERE seq > ? AND op = 'X'")) {
      p.setLong(1, after);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  /**
   * The number of the last entry ever written, kept by SQLite even when the entries are pruned.
   *
   * @param c a connection to the SQLite file
   * @return the number, 0 when none was
   */
  static long lastSeq(Connection c) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement("SELECT seq FROM sqlite_sequence WHERE name = ?")) {
      p.setString(1, LOG);
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? r.getLong(1) : 0;
      }
    }
  }

  /**
   * Removes entries the mirror holds.
   *
   * @param c a connection to the SQLite file
   * @param upTo the last entry applied on the mirror
   */
  static void prune(Connection c, long upTo) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("DELETE FROM " + LOG + " WHERE seq <= ?")) {
      p.setLong(1, upTo);
      p.executeUpdate();
    }
  }
}
