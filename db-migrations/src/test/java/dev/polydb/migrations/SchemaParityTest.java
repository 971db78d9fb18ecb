package dev.polydb.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.testkit.PostgresTestServer;
import java.nio.file.Path;
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
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * SPEC §10: both dialects end at the same logical schema. Each folder is migrated on a real engine
 * and its schema is read back from that engine's own catalog (SQLite's {@code sqlite_master} and
 * pragmas, Postgres's {@code pg_catalog}), then described in the same words on both sides: one line
 * per table, column with its nullability, primary key, unique constraint, unique index, foreign key
 * and index. The SQLite schema is the reference.
 *
 * <p>Not compared, on purpose: column types (epoch milliseconds against {@code timestamptz}, {@code
 * INTEGER} against {@code boolean}, {@code TEXT} against {@code json}/{@code jsonb}, {@code BLOB}
 * against {@code vector} differ by design); the text of partial-index predicates (each engine
 * prints its own, so only whether an index is partial counts); defaults and CHECK constraints
 * (their text differs the same way); SQLite's triggers, which only move the vector epochs, and the
 * per-owner epochs' table they write.
 *
 * <p>Flyway's history table {@code schema_migrations} is compared too: Flyway, not this library,
 * shapes it on each engine, but db-jooq reads its {@code version}, {@code installed_rank} and
 * {@code success} columns with one query for both dialects, so a Flyway upgrade that changed it on
 * one engine only should fail here rather than there.
 */
class SchemaParityTest {

  /**
   * Postgres's approximate vector index: the one index SQLite lacks on purpose, since it searches
   * exactly, in Java, over embeddings held in memory.
   */
  private static final String POSTGRES_ONLY_INDEX =
      "index chunks_embedding_idx on chunks (embedding) using hnsw";

  /**
   * SQLite's per-owner vector epochs, moved by its triggers for its in-memory copies of the
   * embeddings; Postgres searches in the database and has no such table.
   */
  private static final String SQLITE_ONLY_TABLE = "chunk_epochs";

  /**
   * Small enough for the HNSW index to exist (the migration skips it above 4000 dimensions), so
   * that the test can check it is there rather than merely excluded.
   */
  private static final Migrations.Settings SETTINGS =
      new Migrations.Settings(4, "cosine", Optional.empty());

  @TempDir Path dir;

  private PostgresTestServer server;
  private String postgresUrl;

  @BeforeEach
  void createPostgresSchema() {
    server = PostgresTestServer.get();
    postgresUrl = server.newDatabaseUrl();
  }

  @AfterEach
  void dropPostgresSchema() {
    if (postgresUrl != null) {
      server.dropDatabase(postgresUrl);
    }
  }

  @Test
  void bothDialectsReachTheSameLogicalSchema() throws SQLException {
    List<String> sqlite = sqliteSchema(migratedSqlite());
    List<String> postgres = postgresSchema(migratedPostgres());

    assertThat(sqlite)
        .as("sqlite schema")
        .contains("table users", "table chunks", "table " + Migrations.HISTORY_TABLE);
    assertThat(postgres).as("postgres schema").contains(POSTGRES_ONLY_INDEX);
    assertThat(sqlite).as("sqlite schema").contains("table " + SQLITE_ONLY_TABLE);
    assertSameSchema(withoutSqliteOnlyTable(sqlite), withoutPostgresOnlyIndex(postgres));
  }

  @Test
  void aColumnOnlyOneDialectHasIsReported() throws SQLException {
    SQLiteDataSource sqliteDb = migratedSqlite();
    try (Connection c = sqliteDb.getConnection();
        Statement st = c.createStatement()) {
      st.execute("ALTER TABLE users ADD COLUMN nickname TEXT");
    }
    List<String> sqlite = withoutSqliteOnlyTable(sqliteSchema(sqliteDb));
    List<String> postgres = withoutPostgresOnlyIndex(postgresSchema(migratedPostgres()));

    List<String> onlyInSqlite = new ArrayList<>(sqlite);
    onlyInSqlite.removeAll(postgres);
    assertThat(onlyInSqlite).containsExactly("column users.nickname null");
    assertThatThrownBy(() -> assertSameSchema(sqlite, postgres))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("column users.nickname null");
  }

  /**
   * Fails listing both descriptions whole, then the lines Postgres lacks and those it has beyond
   * SQLite.
   */
  private static void assertSameSchema(List<String> sqlite, List<String> postgres) {
    assertThat(postgres)
        .as("postgres schema against the sqlite schema (the reference)")
        .containsExactlyInAnyOrderElementsOf(sqlite);
  }

  private static List<String> withoutPostgresOnlyIndex(List<String> postgres) {
    List<String> rest = new ArrayList<>(postgres);
    rest.remove(POSTGRES_ONLY_INDEX);
    return rest;
  }

  /** Every line about the SQLite-only table: the table, its columns and its key. */
  private static List<String> withoutSqliteOnlyTable(List<String> sqlite) {
    return sqlite.stream()
        .filter(line -> !line.matches(".*\\b" + SQLITE_ONLY_TABLE + "\\b.*"))
        .toList();
  }

  private SQLiteDataSource migratedSqlite() {
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + dir.resolve("parity.db"));
    Migrations.of(ds, Migrations.Dialect.SQLITE, SETTINGS).migrate();
    return ds;
  }

  private DataSource migratedPostgres() {
    DataSource ds = server.dataSource(postgresUrl);
    Migrations.of(ds, Migrations.Dialect.POSTGRES, SETTINGS).migrate();
    return ds;
  }

  // ---- SQLite: sqlite_master and the pragma table functions

  private static List<String> sqliteSchema(DataSource ds) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Connection c = ds.getConnection()) {
      List<String> tables =
          strings(
              c,
              // sqlite_sequence and sqlite_stat1 are the engine's own
              "SELECT name FROM sqlite_master WHERE type = 'table'"
                  + " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
      for (String table : tables) {
        lines.add("table " + table);
        Map<Integer, String> primaryKey = new TreeMap<>();
        try (PreparedStatement ps =
            c.prepareStatement("SELECT name, \"notnull\", pk FROM pragma_table_info(?)")) {
          ps.setString(1, table);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              lines.add(column(table, rs.getString(1), rs.getBoolean(2)));
              if (rs.getInt(3) > 0) {
                primaryKey.put(rs.getInt(3), rs.getString(1));
              }
            }
          }
        }
        // from table_info rather than the 'pk' autoindex: an INTEGER PRIMARY KEY is the rowid and
        // has no index at all
        if (!primaryKey.isEmpty()) {
          lines.add("primary key " + table + " " + columns(List.copyOf(primaryKey.values())));
        }
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)")) {
          ps.setString(1, table);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String index = rs.getString(1);
              boolean unique = rs.getBoolean(2);
              String origin = rs.getString(3);
              List<String> indexed =
                  strings(
                      c,
                      "SELECT coalesce(name, '<expression>') FROM pragma_index_info(?)"
                          + " ORDER BY seqno",
                      index);
              // 'u' is the unnamed sqlite_autoindex_* behind a UNIQUE constraint, 'c' a CREATE
              // INDEX; the primary key ('pk') is described above
              if (origin.equals("u")) {
                lines.add(uniqueConstraint(table, indexed));
              } else if (origin.equals("c")) {
                lines.add(index(index, unique, table, indexed, rs.getBoolean(4), "btree"));
              }
            }
          }
        }
        Map<Integer, ForeignKey> foreignKeys = new LinkedHashMap<>();
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, \"from\", \"table\", \"to\", on_delete, on_update"
                    + " FROM pragma_foreign_key_list(?) ORDER BY id, seq")) {
          ps.setString(1, table);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ForeignKey fk = foreignKeys.get(rs.getInt(1));
              if (fk == null) {
                fk =
                    new ForeignKey(
                        rs.getString(3),
                        rs.getString(5).toLowerCase(Locale.ROOT),
                        rs.getString(6).toLowerCase(Locale.ROOT));
                foreignKeys.put(rs.getInt(1), fk);
              }
              fk.columns.add(rs.getString(2));
              // a REFERENCES without columns names the parent's primary key: "to" is then null
              fk.referencedColumns.add(rs.getString(4) == null ? "<primary key>" : rs.getString(4));
            }
          }
        }
        for (ForeignKey fk : foreignKeys.values()) {
          lines.add(fk.describe(table));
        }
      }
    }
    // sorted, so that a failure lists the two in the same order
    lines.sort(null);
    return lines;
  }

  // ---- Postgres: pg_catalog, restricted to the test's schema

  private List<String> postgresSchema(DataSource ds) throws SQLException {
    String schema = server.schemaOf(postgresUrl);
    List<String> lines = new ArrayList<>();
    try (Connection c = ds.getConnection()) {
      List<String> tables =
          strings(
              c,
              "SELECT t.relname FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace"
                  + " WHERE n.nspname = ? AND t.relkind IN ('r', 'p') ORDER BY t.relname",
              schema);
      for (String table : tables) {
        String relation = quoted(schema) + "." + quoted(table);
        lines.add("table " + table);
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT attname, attnotnull FROM pg_attribute"
                    + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped")) {
          ps.setString(1, relation);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              lines.add(column(table, rs.getString(1), rs.getBoolean(2)));
            }
          }
        }
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT con.contype,"
                    + " array(SELECT a.attname::text"
                    + "   FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)"
                    + "   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num"
                    + "   ORDER BY k.ord),"
                    + " (SELECT p.relname FROM pg_class p WHERE p.oid = con.confrelid),"
                    + " array(SELECT a.attname::text"
                    + "   FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)"
                    + "   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num"
                    + "   ORDER BY k.ord),"
                    + " con.confdeltype, con.confupdtype"
                    + " FROM pg_constraint con WHERE con.conrelid = ?::regclass"
                    + " AND con.contype IN ('p', 'u', 'f')")) {
          ps.setString(1, relation);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              List<String> keyColumns = List.of((String[]) rs.getArray(2).getArray());
              switch (rs.getString(1)) {
                case "p" -> lines.add("primary key " + table + " " + columns(keyColumns));
                case "u" -> lines.add(uniqueConstraint(table, keyColumns));
                default -> {
                  ForeignKey fk =
                      new ForeignKey(
                          rs.getString(3),
                          postgresAction(rs.getString(5)),
                          postgresAction(rs.getString(6)));
                  fk.columns.addAll(keyColumns);
                  fk.referencedColumns.addAll(List.of((String[]) rs.getArray(4).getArray()));
                  lines.add(fk.describe(table));
                }
              }
            }
          }
        }
        // every index but those behind a primary key or unique constraint, which are described
        // above (a foreign key's conindid is the parent's index, hence the contype filter)
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT ic.relname, i.indisunique, i.indpred IS NOT NULL, am.amname,"
                    + " array(SELECT coalesce(a.attname::text, '<expression>')"
                    + "   FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)"
                    + "   LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num"
                    + "   WHERE k.ord <= i.indnkeyatts ORDER BY k.ord)"
                    + " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                    + " JOIN pg_am am ON am.oid = ic.relam"
                    + " WHERE i.indrelid = ?::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint"
                    + "   con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u'))")) {
          ps.setString(1, relation);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              lines.add(
                  index(
                      rs.getString(1),
                      rs.getBoolean(2),
                      table,
                      List.of((String[]) rs.getArray(5).getArray()),
                      rs.getBoolean(3),
                      rs.getString(4)));
            }
          }
        }
      }
    }
    // sorted, so that a failure lists the two in the same order
    lines.sort(null);
    return lines;
  }

  /** pg_constraint's one-letter referential actions, in SQLite's words. */
  private static String postgresAction(String code) {
    return switch (code) {
      case "a" -> "no action";
      case "r" -> "restrict";
      case "c" -> "cascade";
      case "n" -> "set null";
      case "d" -> "set default";
      default -> throw new IllegalStateException("unknown referential action: " + code);
    };
  }

  private static String quoted(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  // ---- the dialect-neutral description

  private static String column(String table, String column, boolean notNull) {
    return "column " + table + "." + column + (notNull ? " not null" : " null");
  }

  /** Unnamed: SQLite's autoindex behind a UNIQUE constraint forgets the constraint's name. */
  private static String uniqueConstraint(String table, List<String> keyColumns) {
    return "unique constraint " + table + " " + columns(keyColumns);
  }

  /**
   * Named, since both engines keep a CREATE INDEX's name. The access method is shown only when it
   * is not a B-tree, SQLite's only kind, so that a Postgres-only kind stands out.
   */
  private static String index(
      String name,
      boolean unique,
      String table,
      List<String> keyColumns,
      boolean partial,
      String method) {
    return (unique ? "unique index " : "index ")
        + name
        + " on "
        + table
        + " "
        + columns(keyColumns)
        + (method.equals("btree") ? "" : " using " + method)
        + (partial ? " partial" : "");
  }

  private static String columns(List<String> names) {
    return "(" + String.join(", ", names) + ")";
  }

  /** One foreign key, gathered column by column. */
  private static final class ForeignKey {
    final String referencedTable;
    final String onDelete;
    final String onUpdate;
    final List<String> columns = new ArrayList<>();
    final List<String> referencedColumns = new ArrayList<>();

    ForeignKey(String referencedTable, String onDelete, String onUpdate) {
      this.referencedTable = referencedTable;
      this.onDelete = onDelete;
      this.onUpdate = onUpdate;
    }

    String describe(String table) {
      return "foreign key "
          + table
          + " "
          + columns(columns)
          + " references "
          + referencedTable
          + " "
          + columns(referencedColumns)
          + " on delete "
          + onDelete
          + " on update "
          + onUpdate;
    }
  }

  private static List<String> strings(Connection c, String sql, String... parameters)
      throws SQLException {
    List<String> values = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        ps.setString(i + 1, parameters[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          values.add(rs.getString(1));
        }
      }
    }
    return values;
  }
}
