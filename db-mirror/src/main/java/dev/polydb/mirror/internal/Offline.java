package dev.polydb.mirror.internal;

import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Table;
import dev.polydb.mirror.MirrorAdmin;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** {@link MirrorAdmin}'s work, next to the log and target it reads. */
public final class Offline {
  private Offline() {}

  /** See {@link MirrorAdmin#report}. */
  public static MirrorAdmin.Report report(Connection sqlite, Connection postgres)
      throws SQLException {
    boolean mirrored = !ChangeLog.triggers(sqlite).isEmpty();
    if (!tableExists(sqlite, ChangeLog.SOURCE)) {
      return new MirrorAdmin.Report(
          mirrored,
          0,
          Optional.empty(),
          0,
          Optional.of("the file was never opened in mirror mode"));
    }
    String source;
    try (Statement s = sqlite.createStatement();
        ResultSet r = s.executeQuery("SELECT id FROM " + ChangeLog.SOURCE)) {
      source = r.next() ? r.getString(1) : "";
    }
    long last = ChangeLog.lastSeq(sqlite);
    Target target = new Target(postgres);
    boolean autoCommit = postgres.getAutoCommit();
    try {
      postgres.setAutoCommit(false);
      if (!pgTableExists(postgres, Target.POSITION)) {
        postgres.commit();
        return new MirrorAdmin.Report(
            mirrored, last, Optional.empty(), last, Optional.of("the mirror was never started"));
      }
      Long position = target.positions().get(source);
      if (position == null) {
        return new MirrorAdmin.Report(
            mirrored,
            last,
            Optional.empty(),
            last,
            Optional.of(
                "the mirror holds no position for this file: it is rebuilt from a snapshot"
                    + " when empty, else run polydb mirror resync"));
      }
      Optional<String> problem = Optional.empty();
      long breakAt = ChangeLog.firstBreakAfter(sqlite, position);
      if (breakAt > 0) {
        problem =
            Optional.of(
                "the file was opened with DB_MODE=sqlite after write "
                    + breakAt
                    + ": run polydb mirror resync");
      } else if (last > position) {
        List<ChangeLog.Change> next = ChangeLog.read(sqlite, position, 1);
        if (next.isEmpty() || next.get(0).seq() != position + 1) {
          problem =
              Optional.of(
                  "log entries after " + position + " are missing: run polydb mirror resync");
        }
      }
      return new MirrorAdmin.Report(
          mirrored, last, Optional.of(position), last - position, problem);
    } finally {
      postgres.rollback();
      postgres.setAutoCommit(autoCommit);
    }
  }

  /** See {@link MirrorAdmin#resync}. */
  public static void resync(Connection postgres) throws SQLException {
    boolean autoCommit = postgres.getAutoCommit();
    postgres.setAutoCommit(false);
    try (Statement s = postgres.createStatement()) {
      boolean mirror = pgTableExists(postgres, Target.POSITION);
      if (!mirror && !new Target(postgres).empty()) {
        throw new IllegalStateException(
            "this database holds data and was never a mirror: resync empties only a mirror");
      }
      s.execute(
          "TRUNCATE "
              + TableModel.TABLES.stream().map(Table::name).collect(Collectors.joining(", ")));
      if (mirror) {
        s.execute("DELETE FROM " + Target.POSITION);
      }
      postgres.commit();
    } catch (SQLException | RuntimeException e) {
      postgres.rollback();
      throw e;
    } finally {
      postgres.setAutoCommit(autoCommit);
    }
  }

  private static boolean tableExists(Connection sqlite, String table) throws SQLException {
    try (PreparedStatement p =
        sqlite.prepareStatement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
      p.setString(1, table);
      try (ResultSet r = p.executeQuery()) {
        return r.next();
      }
    }
  }

  private static boolean pgTableExists(Connection postgres, String table) throws SQLException {
    try (PreparedStatement p = postgres.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      p.setString(1, table);
      try (ResultSet r = p.executeQuery()) {
        r.next();
        return r.getBoolean(1);
      }
    }
  }
}
