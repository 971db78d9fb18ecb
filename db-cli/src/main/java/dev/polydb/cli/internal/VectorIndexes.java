package dev.polydb.cli.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * The bulk path for a first load on PostgreSQL: drop the approximate vector index, load the chunks
 * through the library (each row then costs an insert, not an insert into an HNSW graph), and build
 * the index once at the end. The dropped index is listed with its definition as a copy lists what
 * it drops ({@link Rebuilder}), so {@code doctor} and {@code verify} report it missing until it is
 * built, and the build re-creates exactly what was there (type, operator class, parameters).
 */
public final class VectorIndexes {
  /** The approximate index's name, as the migration creates it. */
  public static final String INDEX = "chunks_embedding_idx";

  private static final String TABLE = "chunks";

  private VectorIndexes() {}

  /**
   * Drops the index, listing its definition first.
   *
   * @param endpoint a PostgreSQL database
   * @return what happened, in a sentence
   * @throws ToolException when a copy into the database has not finished
   */
  public static String drop(Endpoint endpoint) {
    try (Connection c = endpoint.connect()) {
      refuseDuringCopy(c);
      c.setAutoCommit(false);
      if (Rebuilder.dropIndex(c, TABLE, INDEX)) {
        c.commit();
        return "dropped "
            + INDEX
            + "; load the chunks, then run `polydb vector-index build`"
            + " (searches are exact, and slower, until then)";
      }
      c.rollback();
      return Rebuilder.listed(c, INDEX)
          ? INDEX + " is already dropped and listed for `polydb vector-index build`"
          : "no "
              + INDEX
              + " to drop: the database has no approximate index"
              + " (DB_VECTOR_INDEX=none, or above 4000 dimensions)";
    } catch (SQLException e) {
      throw ToolException.failed("dropping " + INDEX + " failed (" + e.getSQLState() + ")", e);
    }
  }

  /**
   * Builds whatever {@link #drop} listed, then removes the list.
   *
   * @param endpoint a PostgreSQL database
   * @param memory the {@code maintenance_work_mem} to build with
   * @return what happened, in a sentence
   * @throws ToolException when a copy into the database has not finished, or the build fails
   */
  public static String build(Endpoint endpoint, String memory) {
    try (Connection c = endpoint.connect()) {
      refuseDuringCopy(c);
      if (!Copier.tableExists(c, Rebuilder.TABLE)) {
        return "nothing to build: no index was dropped by `polydb vector-index drop`";
      }
      long start = System.nanoTime();
      int built = Rebuilder.rebuildAll(endpoint, memory);
      try (Statement s = c.createStatement()) {
        s.execute("DROP TABLE " + Rebuilder.TABLE);
        s.execute("ANALYZE " + TABLE);
      }
      return String.format(
          Locale.ROOT,
          "built %d index%s in %.1f s",
          built,
          built == 1 ? "" : "es",
          (System.nanoTime() - start) / 1e9);
    } catch (SQLException e) {
      throw ToolException.failed("building " + INDEX + " failed (" + e.getSQLState() + ")", e);
    }
  }

  /** A copy lists what it dropped in the same table: its own resume re-creates those. */
  private static void refuseDuringCopy(Connection c) throws SQLException {
    if (Copier.tableExists(c, Copier.PROGRESS_TABLE)) {
      throw ToolException.failed("refused: " + Copier.unfinished(c).orElseThrow());
    }
  }
}
