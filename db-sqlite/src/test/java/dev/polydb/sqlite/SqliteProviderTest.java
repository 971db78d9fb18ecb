package dev.polydb.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.UserProfile;
import dev.polydb.migrations.Migrations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only SQLite has: files, in-memory databases, and per-connection settings. */
class SqliteProviderTest {
  @TempDir Path dir;

  @Test
  void inMemoryDatabaseKeepsItsDataForTheProvidersLifetime() {
    try (DbProvider db = DbProviders.open("sqlite::memory:")) {
      String id = db.users().upsert("google", "sub-1", UserProfile.EMPTY).id();
      assertThat(db.users().findById(id)).isPresent();
      assertThat(db.health().pool().max()).isEqualTo(1);
    }
  }

  @Test
  void healthInsideATransactionUsesTheTransactionsConnection() {
    // one connection in all: health() must not wait for a second one
    try (DbProvider db = DbProviders.open("sqlite::memory:")) {
      long start = System.nanoTime();
      boolean reachable = db.inTransaction(tx -> tx.health().reachable());
      assertThat(reachable).isTrue();
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(java.time.Duration.ofSeconds(5));
    }
  }

  @Test
  void inMemoryDatabaseRefusesAPoolOfMoreThanOne() {
    assertThatThrownBy(() -> DbConfig.builder().url("sqlite::memory:").poolSize(4).build())
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("pool size must be 1");
  }

  @Test
  void missingParentFoldersAreCreated() {
    Path file = dir.resolve("a/b/c/app.db");
    try (DbProvider db = DbProviders.open("sqlite:" + file)) {
      assertThat(db.health().reachable()).isTrue();
    }
    assertThat(file).exists();
  }

  @Test
  void everyFormOfSqliteUrlOpensTheSameFile() {
    Path file = dir.resolve("forms.db");
    String id;
    try (DbProvider db = DbProviders.open("sqlite:" + file)) {
      id = db.users().upsert("google", "sub-1", UserProfile.EMPTY).id();
    }
    for (String url : new String[] {"jdbc:sqlite:" + file, "file:" + file}) {
      try (DbProvider db = DbProviders.open(url)) {
        assertThat(db.users().findById(id)).as(url).isPresent();
      }
    }
  }

  @Test
  void fileIsInWalModeWithTheSchemaHistoryInSchemaMigrations() throws SQLException {
    Path file = dir.resolve("wal.db");
    try (DbProvider db = DbProviders.open("sqlite:" + file)) {
      assertThat(db.health().schemaVersion()).contains(latestVersion());
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = c.createStatement()) {
      assertThat(single(st, "PRAGMA journal_mode")).isEqualTo("wal");
      assertThat(single(st, "SELECT count(*) FROM schema_migrations WHERE success = 1"))
          .isEqualTo(latestVersion());
    }
  }

  @Test
  void foreignKeysAreEnforcedOnEveryPooledConnection() {
    try (DbProvider db =
        DbProviders.open(
            DbConfig.builder().url("sqlite:" + dir.resolve("fk.db")).poolSize(3).build())) {
      for (int i = 0; i < 6; i++) {
        String user = db.users().upsert("google", "sub-" + i, UserProfile.EMPTY).id();
        db.journal().insert(user, "entry");
        db.users().delete(user);
        // the cascade only happens with PRAGMA foreign_keys=ON on the connection that deleted
        assertThat(db.journal().totalBytes(user)).isZero();
      }
    }
  }

  @Test
  void closeReleasesEveryFileHandle() throws IOException {
    Path file = dir.resolve("handles.db");
    DbProvider db = DbProviders.open("sqlite:" + file);
    db.users().upsert("google", "sub-1", UserProfile.EMPTY);
    assertThat(openHandlesTo(file)).isPositive();
    db.close();
    assertThat(openHandlesTo(file)).isZero();
  }

  @Test
  void aDatabaseBusyPastTheTimeoutIsATransientErrorWithItsCause() throws SQLException {
    Path file = dir.resolve("busy.db");
    try (DbProvider db =
            DbProviders.open(
                DbConfig.builder()
                    .url("sqlite:" + file)
                    .statementTimeout(java.time.Duration.ofMillis(200))
                    .build());
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = other.createStatement()) {
      st.execute("BEGIN IMMEDIATE"); // another process holds the write lock
      assertThatThrownBy(() -> db.users().upsert("google", "sub-1", UserProfile.EMPTY))
          .isInstanceOf(dev.polydb.api.DbTransientException.class)
          .hasMessageContaining("user upsert failed")
          .hasCauseInstanceOf(SQLException.class);
      st.execute("ROLLBACK");
      assertThat(db.users().upsert("google", "sub-1", UserProfile.EMPTY).id()).isNotBlank();
    }
  }

  @Test
  void refreshTokensAreStoredAsTheirSha256Only() throws Exception {
    Path file = dir.resolve("tokens.db");
    String token;
    try (DbProvider db = DbProviders.open("sqlite:" + file)) {
      String user = db.users().upsert("google", "sub-1", UserProfile.EMPTY).id();
      token = db.refreshTokens().issue(user).token();
    }
    String sha256 =
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = c.createStatement()) {
      assertThat(single(st, "SELECT token_hash FROM refresh_tokens")).isEqualTo(sha256);
      assertThat(single(st, "PRAGMA wal_checkpoint(TRUNCATE)")).isEqualTo("0");
    }
    String everything =
        new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(everything).contains(sha256).doesNotContain(token);
  }

  private static long openHandlesTo(Path file) throws IOException {
    Path fds = Path.of("/proc/self/fd");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(fds), "needs Linux /proc");
    String prefix = file.toRealPath().toString();
    try (Stream<Path> links = Files.list(fds)) {
      return links
          .map(
              p -> {
                try {
                  return Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                  return "";
                }
              })
          .filter(target -> target.startsWith(prefix))
          .count();
    }
  }

  private static String single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The newest version among the SQLite migrations: versions are numbered 1, 2, 3 and so on. */
  static String latestVersion() {
    org.sqlite.SQLiteDataSource unused = new org.sqlite.SQLiteDataSource();
    unused.setUrl("jdbc:sqlite::memory:");
    return Migrations.of(
            unused,
            Migrations.Dialect.SQLITE,
            new Migrations.Settings(4, "cosine", java.util.Optional.empty()))
        .latestVersion();
  }
}
