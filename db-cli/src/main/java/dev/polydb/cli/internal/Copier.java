package dev.polydb.cli.internal;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.VectorSettings;
import dev.polydb.cli.internal.Schema.Column;
import dev.polydb.cli.internal.Schema.Table;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  static final String INDEX_TABLE = "polydb_copy_dropped_indexes";

  /**
   * How to copy.
   *
   * @param batchRows the most rows a batch holds
   * @param batchBytes the most bytes a batch holds (a single larger row makes a batch alone)
   * @param resume finish an interrupted copy
   * @param truncateTarget empty the target's library tables first
   */
  public record Options(int batchRows, long batchBytes, boolean resume, boolean truncateTarget) {}

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
      VectorSettings vectors = readVectorSettings(src);
      Map<String, Long> counts = new LinkedHashMap<>();
      Map<String, String> maxKeys = new LinkedHashMap<>();
      for (Table table : Schema.TABLES) {
        try (Statement s = src.createStatement();
            ResultSet rs =
                s.executeQuery("SELECT count(*), max(" + table.key() + ") FROM " + table.name())) {
          rs.next();
          counts.put(table.name(), rs.getLong(1));
          maxKeys.put(table.name(), rs.getString(2));
        }
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
      List<TableReport> reports = new ArrayList<>();
      for (Table table : Schema.TABLES) {
        State state = states.get(table.name());
        reports.add(copyTable(src, dst, table, state, vectors, counts.get(table.name())));
      }
      finishTarget(dst);
      src.rollback();
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
    if (interrupted && !options.resume()) {
      throw ToolException.config(
          "target "
              + target.redacted()
              + " holds an interrupted copy: rerun with --resume to finish it");
    }
    if (interrupted) {
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
              || !java.util.Objects.equals(maxKeys.get(table), rs.getString(6))) {
            throw ToolException.config(
                "the source changed since the interrupted copy began ("
                    + table
                    + "): empty the target with --truncate-target and copy again");
          }
          State state = new State();
          state.lastKey = rs.getString(2);
          state.rows = rs.getLong(3);
          state.done = rs.getBoolean(4);
          states.put(table, state);
        }
      }
      if (states.size() != Schema.TABLES.size()) {
        throw ToolException.config("the interrupted copy's progress is incomplete: copy again");
      }
      return states;
    }
    List<String> filled = new ArrayList<>();
    for (Table table : Schema.TABLES) {
      try (Statement s = dst.createStatement();
          ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + table.name() + ")")) {
        rs.next();
        if (rs.getBoolean(1)) {
          filled.add(table.name());
        }
      }
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
        s.execute(
            "TRUNCATE " + String.join(", ", Schema.TABLES.stream().map(Table::name).toList()));
      }
      s.execute(
          "CREATE TABLE "
              + PROGRESS_TABLE
              + " (table_name text PRIMARY KEY, last_key text COLLATE \"C\","
              + " rows_copied bigint NOT NULL, done boolean NOT NULL,"
              + " source_rows bigint NOT NULL, source_max_key text)");
      s.execute(
          "CREATE TABLE "
              + INDEX_TABLE
              + " (index_name text PRIMARY KEY, definition text NOT NULL)");
    }
    try (PreparedStatement insert =
        dst.prepareStatement(
            "INSERT INTO "
                + PROGRESS_TABLE
                + " (table_name, last_key, rows_copied, done, source_rows, source_max_key)"
                + " VALUES (?, NULL, 0, false, ?, ?)")) {
      for (Table table : Schema.TABLES) {
        insert.setString(1, table.name());
        insert.setLong(2, counts.get(table.name()));
        insert.setString(3, maxKeys.get(table.name()));
        insert.addBatch();
      }
      insert.executeBatch();
    }
    dropSecondaryIndexes(dst);
    dst.commit();
    Map<String, State> states = new LinkedHashMap<>();
    Schema.TABLES.forEach(t -> states.put(t.name(), new State()));
    return states;
  }

  /**
   * Drops the indexes that only speed up reads (not primary keys, not unique ones, which guard the
   * data), recording their definitions so that they are rebuilt after the load, even by a resumed
   * run. Loading into an HNSW index row by row is far slower than building it once.
   */
  private static void dropSecondaryIndexes(Connection dst) throws SQLException {
    Map<String, String> indexes = new LinkedHashMap<>();
    try (PreparedStatement s =
        dst.prepareStatement(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                + " JOIN pg_class i ON i.oid = x.indexrelid"
                + " JOIN pg_class t ON t.oid = x.indrelid"
                + " WHERE t.relnamespace = current_schema()::regnamespace"
                + " AND t.relname = ANY (?) AND NOT x.indisunique AND NOT x.indisprimary")) {
      s.setArray(
          1,
          dst.createArrayOf(
              "text", Schema.TABLES.stream().map(Table::name).toArray(String[]::new)));
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          indexes.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    try (PreparedStatement record =
            dst.prepareStatement(
                "INSERT INTO " + INDEX_TABLE + " (index_name, definition) VALUES (?, ?)");
        Statement drop = dst.createStatement()) {
      for (Map.Entry<String, String> index : indexes.entrySet()) {
        record.setString(1, index.getKey());
        record.setString(2, index.getValue());
        record.executeUpdate();
        drop.execute("DROP INDEX " + quote(index.getKey()));
      }
    }
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
    long read = 0;
    long bytes = 0;
    long rowsBefore = state.rows;
    CopyManager copy = dst.unwrap(PGConnection.class).getCopyAPI();
    String copySql =
        "COPY " + table.name() + " (" + table.columnList() + ") FROM STDIN (FORMAT binary)";
    String select =
        "SELECT "
            + table.columnList()
            + " FROM "
            + table.name()
            + (state.lastKey == null ? "" : " WHERE " + table.key() + " > ?")
            + " ORDER BY "
            + table.key();
    BinaryCopy batch = new BinaryCopy();
    boolean halfvec = vectors.halfPrecision();
    int parentColumn = table.name().equals("refresh_tokens") ? indexOf(table, "parent_id") : -1;
    try (PreparedStatement s = src.prepareStatement(select)) {
      if (state.lastKey != null) {
        s.setString(1, state.lastKey);
      }
      try (ResultSet rs = s.executeQuery()) {
        byte[] key = null;
        while (rs.next()) {
          read++;
          key = encodeRow(rs, table, batch, halfvec, vectors.dimension(), parentColumn);
          if (batch.rows() >= options.batchRows() || batch.size() >= options.batchBytes()) {
            int rows = batch.rows();
            bytes += commitBatch(dst, copy, copySql, table, batch, key, state, false);
            progress.advance(rows);
          }
        }
        if (batch.rows() > 0) {
          int rows = batch.rows();
          bytes += commitBatch(dst, copy, copySql, table, batch, key, state, false);
          progress.advance(rows);
        }
      }
    }
    if (parentColumn >= 0) {
      // every token is there now: the parent links written as NULL can be set
      relinkParents(src, dst);
    }
    commitBatch(dst, copy, copySql, table, batch, null, state, true);
    progress.finish();
    return new TableReport(
        table.name(),
        read,
        state.rows - rowsBefore,
        rowsBefore,
        (System.nanoTime() - started) / 1e9,
        bytes);
  }

  /** Encodes one source row; returns its key's bytes. */
  private static byte[] encodeRow(
      ResultSet rs, Table table, BinaryCopy batch, boolean halfvec, int dimension, int parentColumn)
      throws SQLException {
    List<Column> columns = table.columns();
    batch.startRow(columns.size());
    byte[] key = null;
    for (int i = 0; i < columns.size(); i++) {
      Column column = columns.get(i);
      int c = i + 1;
      switch (column.kind()) {
        case TEXT, JSON, JSONB, EMBEDDING -> {
          byte[] value = rs.getBytes(c);
          if (i == 0) {
            key = value;
          }
          if (value == null) {
            batch.putNull();
          } else if (i == parentColumn && Arrays.compareUnsigned(value, key) > 0) {
            // a parent that sorts after its child is not in the target yet: linked at the end
            batch.putNull();
          } else if (column.kind() == Schema.Kind.JSONB) {
            batch.putJsonb(value);
          } else if (column.kind() == Schema.Kind.EMBEDDING) {
            putEmbedding(batch, value, halfvec, dimension, table, key);
          } else {
            batch.putBytes(value);
          }
        }
        case TIMESTAMP, INT4, INT8, BOOLEAN -> {
          long value = rs.getLong(c);
          if (rs.wasNull()) {
            batch.putNull();
          } else {
            switch (column.kind()) {
              case TIMESTAMP -> batch.putTimestamp(value);
              case INT4 -> batch.putInt4(value);
              case INT8 -> batch.putInt8(value);
              default -> batch.putBoolean(value != 0);
            }
          }
        }
      }
    }
    return key;
  }

  private static void putEmbedding(
      BinaryCopy batch, byte[] value, boolean halfvec, int dimension, Table table, byte[] key) {
    if (value.length != 4 * dimension) {
      throw ToolException.failed(
          table.name()
              + " "
              + new String(key, StandardCharsets.UTF_8)
              + ": embedding has "
              + value.length / 4
              + " dimensions, the store "
              + dimension);
    }
    if (!halfvec) {
      batch.putVector(value);
      return;
    }
    try {
      batch.putHalfVector(value);
    } catch (IllegalArgumentException e) {
      throw ToolException.failed(
          table.name()
              + " "
              + new String(key, StandardCharsets.UTF_8)
              + ": embedding is not in half precision, as the store's dimension requires");
    }
  }

  /**
   * Sends the batch and moves the progress row in one transaction; with {@code done} it also marks
   * the table finished.
   */
  private static long commitBatch(
      Connection dst,
      CopyManager copy,
      String copySql,
      Table table,
      BinaryCopy batch,
      byte[] lastKey,
      State state,
      boolean done)
      throws SQLException {
    long bytes = 0;
    int rows = batch.rows();
    if (rows > 0) {
      InputStream data = batch.finish();
      bytes = batch.size();
      try {
        copy.copyIn(copySql, data, 1 << 16);
      } catch (IOException e) {
        throw ToolException.failed("copy of " + table.name() + " failed: " + e.getMessage());
      } catch (SQLException e) {
        dst.rollback();
        throw ToolException.failed(
            "the target refused a batch of " + table.name() + " after key " + state.lastKey, e);
      }
      state.lastKey = new String(lastKey, StandardCharsets.UTF_8);
      state.rows += rows;
    }
    batch.reset();
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
    return bytes;
  }

  /** Sets the parent links the copy left NULL because the parent came later in key order. */
  private static void relinkParents(Connection src, Connection dst) throws SQLException {
    try (Statement s = src.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id, parent_id FROM refresh_tokens WHERE parent_id > id ORDER BY id");
        PreparedStatement update =
            dst.prepareStatement("UPDATE refresh_tokens SET parent_id = ? WHERE id = ?")) {
      int pending = 0;
      while (rs.next()) {
        update.setString(1, rs.getString(2));
        update.setString(2, rs.getString(1));
        update.addBatch();
        if (++pending == 1000) {
          update.executeBatch();
          pending = 0;
        }
      }
      if (pending > 0) {
        update.executeBatch();
      }
    }
  }

  /** Rebuilds the dropped indexes, checks that each is valid, and removes the progress tables. */
  private void finishTarget(Connection dst) throws SQLException {
    progress.start("indexes", -1);
    List<String> names = new ArrayList<>();
    try (Statement s = dst.createStatement()) {
      s.execute("SET LOCAL maintenance_work_mem = '512MB'");
      List<String> definitions = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery("SELECT index_name, definition FROM " + INDEX_TABLE + " ORDER BY 1")) {
        while (rs.next()) {
          names.add(rs.getString(1));
          definitions.add(rs.getString(2));
        }
      }
      for (String definition : definitions) {
        s.execute(definition);
        progress.advance(1);
      }
    }
    if (!names.isEmpty()) {
      try (PreparedStatement check =
          dst.prepareStatement(
              "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                  + " WHERE i.relnamespace = current_schema()::regnamespace"
                  + " AND i.relname = ANY (?) AND x.indisvalid AND x.indisready")) {
        check.setArray(1, dst.createArrayOf("text", names.toArray()));
        try (ResultSet rs = check.executeQuery()) {
          rs.next();
          if (rs.getInt(1) != names.size()) {
            dst.rollback();
            throw ToolException.failed(
                "a rebuilt index is not valid; rerun with --resume: " + String.join(", ", names));
          }
        }
      }
    }
    try (Statement s = dst.createStatement()) {
      s.execute("DROP TABLE " + INDEX_TABLE + ", " + PROGRESS_TABLE);
    }
    dst.commit();
    dst.setAutoCommit(true);
    try (Statement s = dst.createStatement()) {
      s.execute("ANALYZE " + String.join(", ", Schema.TABLES.stream().map(Table::name).toList()));
    }
    progress.finish();
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

  private static int indexOf(Table table, String column) {
    for (int i = 0; i < table.columns().size(); i++) {
      if (table.columns().get(i).name().equals(column)) {
        return i;
      }
    }
    throw new IllegalArgumentException(column);
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
