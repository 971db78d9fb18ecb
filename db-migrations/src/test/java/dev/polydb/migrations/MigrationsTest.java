package dev.polydb.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.VectorIndexType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** The migration API on a real SQLite file. */
class MigrationsTest {
  @TempDir Path dir;

  private SQLiteDataSource sqlite(String name) {
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + dir.resolve(name));
    return ds;
  }

  @Test
  void migratesAnEmptyDatabaseOnceAndReportsTheVersion() {
    Migrations m =
        Migrations.of(
            sqlite("a.db"),
            Migrations.Dialect.SQLITE,
            new Migrations.Settings(8, "l2", Optional.of("text-embed-3")));
    assertThat(m.currentVersion()).isEmpty();
    assertThat(m.isBehind()).isTrue();

    Migrations.Result first = m.migrate();
    assertThat(first.applied()).isPositive();
    assertThat(first.version()).isEqualTo(m.latestVersion());
    assertThat(m.currentVersion()).contains(m.latestVersion());
    assertThat(m.isBehind()).isFalse();
    m.validate();

    assertThat(m.migrate().applied()).isZero();
  }

  @Test
  void settingsAreWrittenIntoTheSchemaAndHistoryIsInSchemaMigrations() throws SQLException {
    SQLiteDataSource ds = sqlite("b.db");
    Migrations.of(
            ds,
            Migrations.Dialect.SQLITE,
            new Migrations.Settings(8, "inner_product", Optional.of("it's-a-model")))
        .migrate();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT dimension, metric, model FROM vector_settings")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(8);
      assertThat(rs.getString(2)).isEqualTo("inner_product");
      assertThat(rs.getString(3)).isEqualTo("it's-a-model");
    }
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + Migrations.HISTORY_TABLE)) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isPositive();
    }
  }

  @Test
  void validateFailsWhenTheHistoryDoesNotMatchTheScripts() throws SQLException {
    SQLiteDataSource ds = sqlite("c.db");
    Migrations m =
        Migrations.of(
            ds, Migrations.Dialect.SQLITE, new Migrations.Settings(4, "cosine", Optional.empty()));
    m.migrate();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE schema_migrations SET checksum = checksum + 1 WHERE version = '1'");
    }
    assertThatThrownBy(m::validate).isInstanceOf(FlywayException.class);
  }

  @Test
  void settingsRefuseValuesThatWouldReachSqlUnchecked() {
    assertThatThrownBy(() -> new Migrations.Settings(0, "cosine", Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new Migrations.Settings(4, "cosine'; DROP TABLE users; --", Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Migrations.Settings(4, "cosine", Optional.of("a\0b")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Migrations.Settings(4, "cosine", Optional.empty(), null, 100))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new Migrations.Settings(
                    4, "cosine", Optional.empty(), VectorIndexType.IVFFLAT, 32_769))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
