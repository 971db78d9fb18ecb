package dev.polydb.mirror;

import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Table;
import dev.polydb.mirror.internal.Offline;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the operations tool does to a mirror from outside the application: report how far it is
 * behind and rebuild it. {@code polydb mirror status} and {@code polydb mirror resync} call these.
 */
public final class MirrorAdmin {

  private MirrorAdmin() {}

  /**
   * How a mirror stands against its SQLite file.
   *
   * @param mirrored whether the file carries the mirror's triggers (it is in mirror mode)
   * @param lastWrite the number of the last write the file logged
   * @param position the last write the mirror holds, when it holds this file's position
   * @param behind the writes logged and not yet on the mirror
   * @param problem why replay cannot bring the mirror in line, when it cannot
   */
  public record Report(
      boolean mirrored,
      long lastWrite,
      Optional<Long> position,
      long behind,
      Optional<String> problem) {}

  /**
   * Reads both sides. Changes nothing.
   *
   * @param sqlite a connection to the SQLite file
   * @param postgres a connection to the mirror
   * @return the report
   * @throws SQLException when either cannot be read
   */
  public static Report report(Connection sqlite, Connection postgres) throws SQLException {
    return Offline.report(sqlite, postgres);
  }

  /**
   * Empties the mirror's data tables and forgets its position, in one transaction, so that the next
   * replay (a running application's within seconds, or the next start in mirror mode) builds it
   * again from a snapshot of the SQLite file. Refuses a database that is not a mirror.
   *
   * @param postgres a connection to the mirror
   * @return the tables emptied
   * @throws SQLException when the database refuses
   * @throws IllegalStateException when the database holds data and no mirror position
   */
  public static String resync(Connection postgres) throws SQLException {
    Offline.resync(postgres);
    return TableModel.TABLES.stream().map(Table::name).collect(Collectors.joining(", "));
  }
}
