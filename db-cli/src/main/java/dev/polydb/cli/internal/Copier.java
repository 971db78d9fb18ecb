package dev.polydb.cli.internal;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.VectorSettings;
import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Table;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Copies a SQLite database into PostgreSQL: every table in foreign-key order, the same keys and
 * bytes, streamed through the COPY protocol in batches. Each batch commits together with the
 * progress row that describes it, so a copy killed at any moment resumes where it stopped, with no
 * row missing or doubled. The source is read in one read transaction (one snapshot) and never
 * written. See {@code docs/moving-to-postgres.md}.
 */
public final class Copier {
  static final String PROGRESS_TABLE = "polydb_copy_progress";

  /**
   * How to copy.
   *
   * @param batchRows the most rows a batch holds
   * @param batchBytes the most bytes a batch holds (a single larger row makes a batch alone)
   * @param resume finish an interrupted copy
   * @param truncateTarget empty the target's library tables first
   * @param indexMemory the {@code maintenance_work_mem} the indexes are rebuilt with, e.g. 512MB
   */
  public record Options(
      int batchRows, long batchBytes, boolean resume, boolean truncateTarget, String indexMemory) {}

  /**
   * What the copy did to one table.
   *
   * @param table the table
   * @param rowsRead rows read from the source in this run
   * @param rowsWritten rows written to the target in this run
   * @param rowsBefore rows an interrupted run had already copied
   * @param seconds how long the table took
   * @param bytes the bytes sent
   */
  public record TableReport(
      String table, long rowsRead, long rowsWritten, long rowsBefore, double seconds, long bytes) {}

  private final Endpoint source;
  private final Endpoint target;
  private final Options options;
  private final Progress progress;

  /**
   * Prepares a copy.
   *
   * @param source a SQLite endpoint, opened read-only
   * @param target a Postgres endpoint
   * @param options how to copy
   * @param progress where to report progress
   */
  public Copier(Endpoint source, Endpoint target, Options options, Progress progress) {
    if (source.engine() != Endpoint.Engine.SQLITE) {
      throw ToolException.config("copy reads a SQLite database: --from " + source.redacted());
    }
    if (target.engine() != Endpoint.Engine.POSTGRES) {
      throw ToolException.config("copy writes a PostgreSQL database: --to " + target.redacted());
    }
    this.source = source;
    this.target = target;
    this.options = options;
    this.progress = progress;
  }

  /**
   * Runs the copy.
   *
   * @return one report per table, in copy order
   * @throws ToolException naming what stopped it; the source is untouched and the target holds
   *     whole batches only
   */
  public List<TableReport> run() {
    String version = sourceVersion();
    try (Connection src = source.connect();
        Connection dst = target.connect()) {
      // one read transaction: every table comes from the same snapshot of the file
      src.setAutoCommit(false);
      VectorSettings vectors;
      Map<String, Long> counts = new LinkedHashMap<>();
      Map<String, String> maxKeys = new LinkedHashMap<>();
      try {
        vectors = readVectorSettings(src);
        for (Table table : TableModel.TABLES) {
          try (Statement s = src.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT count(*), max(" + table.key() + ") FROM " + table.name())) {
            rs.next();
            counts.put(table.name(), rs.getLong(1));
            maxKeys.put(table.name(), rs.getString(2));
          }
        }
      } catch (SQLException e) {
        throw ToolException.config(
            "cannot read " + source.redacted() + " in one consistent snapshot", e);
      }
      prepareTarget(version, vectors);
      dst.setAutoCommit(false);
      try (Statement s = dst.createStatement()) {
        s.execute("SET statement_timeout = 0");
        // a lost commit loses its batch and progress row together: the copy stays resumable
        s.execute("SET synchronous_commit = off");
      }
      dst.commit();
      Map<String, State> states = startOrResume(dst, counts, maxKeys);
      if (states.isEmpty()) {
        // --resume on a copy that had finished: nothing to do, and nothing was done
        src.rollback();
        return TableModel.TABLES.stream()
            .map(t -> new TableReport(t.name(), 0, 0, counts.get(t.name()), 0, 0))
            .toList();
      }
      List<TableReport> reports = new ArrayList<>();
      for (Table table : TableModel.TABLES) {
        State state = states.get(table.name());
        reports.add(copyTable(src, dst, table, state, vectors, counts.get(table.name())));
      }
      src.rollback(); // the snapshot is no longer needed: let the file's writers and checkpoints on
      finishTarget(dst);
      return reports;
    } catch (SQLException e) {
      throw ToolException.failed("copy failed", e);
    }
  }

  private String sourceVersion() {
    Optional<String> version;
    String latest;
    try {
      var migrations = source.migrations();
      version = migrations.currentVersion();
      latest = migrations.latestVersion();
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof SQLException sql) {
          throw ToolException.config("cannot read the schema history of " + source.redacted(), sql);
        }
      }
      throw ToolException.config(
          "cannot read the schema history of " + source.redacted() + ": is it a polydb database?");
    }
    if (version.isEmpty()) {
      throw ToolException.config(
          "source " + source.redacted() + " has no polydb schema (no schema_migrations history)");
    }
    if (!version.get().equals(latest)) {
      throw ToolException.config(
          "source "
              + source.redacted()
              + " is at schema version "
              + version.get()
              + "; this tool copies version "
              + latest
              + ": migrate it first with `polydb migrate --url "
              + source.redacted()
              + "`");
    }
    return version.get();
  }

  private static VectorSettings readVectorSettings(Connection src) throws SQLException {
    try (Statement s = src.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT dimension, metric, model FROM vector_settings WHERE id = 1")) {
      if (!rs.next()) {
        throw ToolException.config("source has no vector_settings row: is it a polydb database?");
      }
      return new VectorSettings(
          rs.getInt(1),
          DistanceMetric.valueOf(rs.getString(2).toUpperCase(Locale.ROOT)),
          Optional.ofNullable(rs.getString(3)));
    }
  }

  /**
   * Migrates an empty target with the source's vector settings through the Postgres provider, or
   * checks that a migrated one is at the source's version; the provider refuses other settings.
   */
  private void prepareTarget(String version, VectorSettings vectors) {
    Optional<String> current;
    try {
      current = target.migrations().currentVersion();
    } catch (RuntimeException e) {
      throw ToolException.config("cannot read the schema history of " + target.redacted());
    }
    if (current.isPresent() && !current.get().equals(version)) {
      throw ToolException.config(
          "target "
              + target.redacted()
              + " is at schema version "
              + current.get()
              + " and the source at "
              + version
              + ": copy needs both at the same version");
    }
    DbConfig.Builder config =
        target.config().toBuilder()
            .mutationsEnabled(true)
            .migrateOnOpen(true)
            .vectorDimension(vectors.dimension())
            .vectorMetric(vectors.metric());
    vectors.model().ifPresent(config::embeddingModel);
    try (DbProvider provider = DbProviders.open(config.build())) {
      provider.health();
    } catch (DbException e) {
      throw ToolException.config("target " + target.redacted() + " refused: " + e.getMessage());
    }
  }

  /** Where one table's copy stands. */
  private static final class State {
    String lastKey;
    long rows;
    boolean done;
  }

  private Map<String, State> startOrResume(
      Connection dst, Map<String, Long> counts, Map<String, String> maxKeys) throws SQLException {
    boolean interrupted = tableExists(dst, PROGRESS_TABLE);
    if (interrupted && !options.resume() && !options.truncateTarget()) {
      throw ToolException.config(
          "target "
              + target.redacted()
              + " holds an interrupted copy: rerun with --resume to finish it, or with"
              + " --truncate-target to start over");
    }
    if (interrupted && options.resume()) {
      Map<String, State> states = new LinkedHashMap<>();
      try (Statement s = dst.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT table_name, last_key, rows_copied, done, source_rows, source_max_key FROM "
                      + PROGRESS_TABLE)) {
        while (rs.next()) {
          String table = rs.getString(1);
          if (counts.get(table) == null
              || counts.get(table) != rs.getLong(5)
              || !Objects.equals(maxKeys.get(table), rs.getString(6))) {
            throw ToolException.config(
                "the source changed since the interrupted copy began ("
                    + table
                    + "): start over with --truncate-target (without --resume)");
          }
          State state = new State();
          state.lastKey = rs.getString(2);
          state.rows = rs.getLong(3);
          state.done = rs.getBoolean(4);
          states.put(table, state);
        }
      }
      if (states.size() != TableModel.TABLES.size()) {
        throw ToolException.config(
            "the interrupted copy's progress is incomplete: start over with --truncate-target"
                + " (without --resume)");
      }
      return states;
    }
    List<String> filled = new ArrayList<>();
    for (Table table : TableModel.TABLES) {
      try (Statement s = dst.createStatement();
          ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + table.name() + ")")) {
        rs.next();
        if (rs.getBoolean(1)) {
          filled.add(table.name());
        }
      }
    }
    if (!filled.isEmpty() && options.resume() && holdsSource(dst, counts, maxKeys)) {
      dst.commit();
      return Map.of(); // a finished copy of this source: nothing to resume
    }
    dst.commit();
    if (!filled.isEmpty() && !options.truncateTarget()) {
      throw ToolException.config(
          "target "
              + target.redacted()
              + " is not empty ("
              + String.join(", ", filled)
              + " hold rows): copy into an empty database, or pass --truncate-target to empty it");
    }
    try (Statement s = dst.createStatement()) {
      if (!filled.isEmpty()) {
        s.execute("TRUNCATE " + tableList());
      }
      if (interrupted) {
        // starting over: the indexes the interrupted copy dropped stay listed, to be rebuilt
        s.execute("DROP TABLE " + PROGRESS_TABLE);
      }
      s.execute(
          "CREATE TABLE "
              + PROGRESS_TABLE
              + " (table_name text PRIMARY KEY, last_key text COLLATE \"C\","
              + " rows_copied bigint NOT NULL, done boolean NOT NULL,"
              + " source_rows bigint NOT NULL, source_max_key text)");
    }
    try (PreparedStatement insert =
        dst.prepareStatement(
            "INSERT INTO "
                + PROGRESS_TABLE
                + " (table_name, last_key, rows_copied, done, source_rows, source_max_key)"
                + " VALUES (?, NULL, 0, false, ?, ?)")) {
      for (Table table : TableModel.TABLES) {
        insert.setString(1, table.name());
        insert.setLong(2, counts.get(table.name()));
        insert.setString(3, maxKeys.get(table.name()));
        insert.addBatch();
      }
      insert.executeBatch();
    }
    Rebuilder.dropAll(dst, TableModel.TABLES.stream().map(Table::name).toList());
    dst.commit();
    Map<String, State> states = new LinkedHashMap<>();
    TableModel.TABLES.forEach(t -> states.put(t.name(), new State()));
    return states;
  }

  private TableReport copyTable(
      Connection src,
      Connection dst,
      Table table,
      State state,
      VectorSettings vectors,
      long sourceRows)
      throws SQLException {
    long started = System.nanoTime();
    if (state.done) {
      return new TableReport(table.name(), 0, 0, state.rows, 0, 0);
    }
    progress.start(table.name(), sourceRows - state.rows);
    long bytes = 0;
    long read;
    long rowsBefore = state.rows;
    CopyManager copy = dst.unwrap(PGConnection.class).getCopyAPI();
    String copySql =
        "COPY " + table.name() + " (" + table.columnList() + ") FROM STDIN (FORMAT binary)";
    try (BatchReader reader =
        new BatchReader(
            src, table, state.lastKey, vectors, options.batchRows(), options.batchBytes())) {
      for (BatchReader.Batch batch = reader.next(); batch != null; batch = reader.next()) {
        int rows = batch.data().rows();
        bytes += send(dst, copy, copySql, table, batch, state);
        reader.recycle(batch.data());
        progress.advance(rows);
      }
      read = reader.rowsRead();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ToolException.failed("interrupted while copying " + table.name());
    }
    markProgress(dst, table, state, true);
    progress.finish();
    return new TableReport(
        table.name(),
        read,
        state.rows - rowsBefore,
        rowsBefore,
        (System.nanoTime() - started) / 1e9,
        bytes);
  }

  /** Sends one batch and moves the progress row with it, in one transaction. */
  private static long send(
      Connection dst,
      CopyManager copy,
      String copySql,
      Table table,
      BatchReader.Batch batch,
      State state)
      throws SQLException {
    int rows = batch.data().rows();
    InputStream data = batch.data().finish();
    long bytes = batch.data().size();
    try {
      copy.copyIn(copySql, data, 1 << 16);
    } catch (IOException e) {
      dst.rollback();
      throw ToolException.failed("copy of " + table.name() + " failed: " + e.getMessage());
    } catch (SQLException e) {
      dst.rollback();
      throw ToolException.failed(
          "the target refused a batch of " + table.name() + " after key " + state.lastKey, e);
    }
    state.lastKey = batch.lastKey();
    state.rows += rows;
    markProgress(dst, table, state, false);
    return bytes;
  }

  /** Writes where the table stands and commits, with whatever the transaction holds. */
  private static void markProgress(Connection dst, Table table, State state, boolean done)
      throws SQLException {
    try (PreparedStatement update =
        dst.prepareStatement(
            "UPDATE "
                + PROGRESS_TABLE
                + " SET last_key = ?, rows_copied = ?, done = ? WHERE table_name = ?")) {
      update.setString(1, state.lastKey);
      update.setLong(2, state.rows);
      update.setBoolean(3, done);
      update.setString(4, table.name());
      update.executeUpdate();
    }
    dst.commit();
    state.done = done;
  }

  /** Whether every table of the target has the source's row count and newest key. */
  private static boolean holdsSource(
      Connection dst, Map<String, Long> counts, Map<String, String> maxKeys) throws SQLException {
    for (Table table : TableModel.TABLES) {
      try (Statement s = dst.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT count(*), max(" + table.key() + ") FROM " + table.name())) {
        rs.next();
        if (rs.getLong(1) != counts.get(table.name())
            || !Objects.equals(rs.getString(2), maxKeys.get(table.name()))) {
          return false;
        }
      }
    }
    return true;
  }

  /** Waits for the indexes to be rebuilt, removes the progress tables and analyzes the tables. */
  private void finishTarget(Connection dst) throws SQLException {
    progress.start("indexes", -1);
    progress.advance(Rebuilder.rebuildAll(target, options.indexMemory()));
    try (Statement s = dst.createStatement()) {
      s.execute("ANALYZE " + tableList());
      // the copy is done when this commits: durably, whatever the batches did
      s.execute("SET synchronous_commit = on");
      s.execute("DROP TABLE " + Rebuilder.TABLE + ", " + PROGRESS_TABLE);
    }
    dst.commit();
    progress.finish();
  }

  private static String tableList() {
    return String.join(", ", TableModel.TABLES.stream().map(Table::name).toList());
  }

  /**
   * What is left of a copy into this Postgres database that has not finished: until it has, rows
   * may be missing and keys, foreign keys and indexes are dropped, so the database is not one an
   * application may use, even where its rows compare equal. A bulk load whose vector index was
   * dropped ({@link VectorIndexes}) and not built again is reported too.
   *
   * @param c a connection to the database
   * @return a description with the way out, or empty when nothing is unfinished
   * @throws SQLException when the catalog cannot be read
   */
  public static Optional<String> unfinished(Connection c) throws SQLException {
    boolean loading = tableExists(c, PROGRESS_TABLE);
    boolean dropped = tableExists(c, Rebuilder.TABLE);
    if (!loading && !dropped) {
      return Optional.empty();
    }
    long missing = 0;
    if (dropped) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM " + Rebuilder.TABLE)) {
        rs.next();
        missing = rs.getLong(1);
      }
    }
    if (!loading) {
      // only `polydb vector-index drop` lists definitions without a copy in progress
      return Optional.of(
          missing
              + " index(es) dropped for a bulk load are not built yet: run `polydb vector-index"
              + " build`");
    }
    return Optional.of(
        "a polydb copy into it has not finished ("
            + missing
            + " keys, foreign keys or indexes still to re-create): rerun `polydb copy --resume`"
            + " with the same --from and --to");
  }

  static boolean tableExists(Connection c, String table) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      s.setString(1, table);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
