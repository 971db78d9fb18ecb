package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.migrations.TableModel;
import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool's list of tables and columns is the library's schema on both engines: a migration that
 * adds a table or a column fails here until the tool copies and compares it.
 */
class SchemaTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  @Test
  void theToolKnowsEveryColumnOfBothCatalogs() throws Exception {
    String sqlite = "sqlite:" + dir.resolve("app.db");
    String postgres = databases.newUrl();
    assertThat(Cli.run("migrate", "--url", sqlite).exit()).isZero();
    assertThat(Cli.run("migrate", "--url", postgres).exit()).isZero();
    List<String> expected = new ArrayList<>();
    for (TableModel.Table table : TableModel.TABLES) {
      for (TableModel.Column column : table.columns()) {
        expected.add(table.name() + "." + column.name() + (column.nullable() ? " null" : ""));
      }
    }
    expected.add("schema_migrations");
    expected.add("vector_settings");
    List<String> expectedInSqlite = new ArrayList<>(expected);
    // derived by SQLite's triggers, for its in-memory vector copies; nothing to copy
    expectedInSqlite.add("chunk_epochs");
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:" + sqlite)) {
      assertThat(columns(c, null)).containsExactlyInAnyOrderElementsOf(expectedInSqlite);
    }
    try (Connection c = databases.dataSource(postgres).getConnection()) {
      assertThat(columns(c, databases.server().schemaOf(postgres)))
          .containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  /** Every column of the library's tables; the tables the copy leaves alone by name only. */
  private static List<String> columns(Connection c, String schema) throws Exception {
    List<String> found = new ArrayList<>();
    DatabaseMetaData meta = c.getMetaData();
    try (ResultSet rs = meta.getColumns(null, schema, "%", "%")) {
      while (rs.next()) {
        String table = rs.getString("TABLE_NAME");
        if (Set.of("schema_migrations", "vector_settings", "chunk_epochs").contains(table)) {
          if (!found.contains(table)) {
            found.add(table);
          }
          continue;
        }
        if (table.startsWith("sqlite_")) {
          continue;
        }
        boolean nullable = rs.getInt("NULLABLE") == DatabaseMetaData.columnNullable;
        found.add(table + "." + rs.getString("COLUMN_NAME") + (nullable ? " null" : ""));
      }
    }
    return found;
  }
}
