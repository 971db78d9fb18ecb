package dev.polydb.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file that was used in mirror mode carries db-mirror's triggers, which log every write for the
 * mirror. Opened with {@code DB_MODE=sqlite}, the mirror has ended: the triggers are removed, and a
 * break entry tells a later mirror that writes went unlogged from here on, so it reports the
 * divergence instead of replaying a log with a hole in it. Opened with no mode (a tool, a helper
 * process), they stay and log for the mirror, and a warning says so. The names are db-mirror's
 * ({@code ChangeLog}); see docs/modes.md.
 */
final class MirrorTriggers {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorTriggers.class);
  private static final String PREFIX = "polydb_mirror_";
  private static final String LOG_TABLE = "polydb_mirror_log";

  private MirrorTriggers() {}

  /**
   * Finds the mirror's triggers and, when asked, removes them and marks the break in the log.
   *
   * @param file the file
   * @param redactedUrl its URL for the log
   * @param detach whether to remove them
   */
  static void check(DataSource file, String redactedUrl, boolean detach) {
    try (Connection c = file.getConnection()) {
      List<String> triggers = new ArrayList<>();
      try (PreparedStatement p =
          c.prepareStatement(
              "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?")) {
        p.setInt(1, PREFIX.length());
        p.setString(2, PREFIX);
        try (ResultSet r = p.executeQuery()) {
          while (r.next()) {
            triggers.add(r.getString(1));
          }
        }
      }
      if (triggers.isEmpty()) {
        return;
      }
      if (!detach) {
        LOG.warn(
            "{} logs every write for a mirror (it was opened with DB_MODE=mirror); open it with"
                + " DB_MODE=sqlite to end the mirror, or the log grows until a mirror reads it",
            redactedUrl);
        return;
      }
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        for (String trigger : triggers) {
          s.execute("DROP TRIGGER IF EXISTS \"" + trigger + "\"");
        }
        s.execute("INSERT INTO " + LOG_TABLE + " (tbl, op) VALUES ('', 'X')");
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
      LOG.warn(
          "{} was last used in mirror mode and is now opened without it: its writes no longer"
              + " reach the mirror, which will report the divergence (docs/modes.md)",
          redactedUrl);
    } catch (SQLException e) {
      // the triggers stay and go on logging; the next open tries again
      LOG.warn(
          "could not remove the mirror's triggers from {} (SQLState {})",
          redactedUrl,
          e.getSQLState());
    }
  }
}
