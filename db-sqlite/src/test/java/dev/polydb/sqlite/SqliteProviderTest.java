package dev.polydb.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.UserProfile;
import dev.polydb.migrations.Migrations;
import dev.polydb.testkit.TestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
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

  @Test
  void aCleanDatabaseInAFolderNobodyMayWriteOpensReadOnly() throws Exception {
    Path folder = dir.resolve("shelf");
    Path file = folder.resolve("app.db");
    String url = "sqlite:" + file;
    try (DbProvider db = DbProviders.open(DbConfig.builder().url(url).vectorDimension(4).build())) {
      db.users().create("google", "ada", UserProfile.EMPTY);
    }
    assertThat(folder.resolve("app.db-wal")).as("closed cleanly").doesNotExist();
    OtherProcess.open(folder);
    OtherProcess.open(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      // a WAL database needs its -shm file, which this folder cannot hold: opened immutable
      String out =
          OtherProcess.finish(
              OtherProcess.startAsAnotherUser(dir.resolve("cp"), "read", url, "4", "ada"));

      assertThat(out).contains("found true").contains("readOnly true");
      try (Stream<Path> files = Files.list(folder)) {
        assertThat(files).as("nothing written beside it").containsExactly(file);
      }
    } finally {
      OtherProcess.open(folder);
    }
  }

  @Test
  void anotherOsUserMayOpenAndWriteADatabaseItsPermissionsAllowIt() throws Exception {
    Path folder = dir.resolve("shared");
    Path file = folder.resolve("app.db");
    String url = "sqlite:" + file;
    try (DbProvider db = DbProviders.open(DbConfig.builder().url(url).vectorDimension(4).build())) {
      db.users().create("google", "ada", UserProfile.EMPTY);
    }
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

    // no lock file of the first user's stands in the way
    String out =
        OtherProcess.finish(
            OtherProcess.startAsAnotherUser(dir.resolve("cp"), "write", url, "4", "bob"));

    assertThat(out).contains("found true").contains("readOnly false");
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("opening leaves nothing beside the database and its write-ahead log")
          .allMatch(name -> name.equals("app.db") || name.matches("app\\.db-(wal|shm)"));
    }
  }

  @Test
  void healthReportsAFileThisProcessMayNotWriteAsReadOnlyWhateverTheSetting() throws Exception {
    Path folder = dir.resolve("locked");
    Path file = folder.resolve("app.db");
    DbProviders.open(DbConfig.builder().url("sqlite:" + file).vectorDimension(4).build()).close();
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));

    String out =
        OtherProcess.finish(
            OtherProcess.startAsAnotherUser(dir.resolve("cp"), "health", "sqlite:" + file, "4"));

    assertThat(out).contains("mutationsEnabled true").contains("readOnly true");
  }

  @Test
  void aGraceSealLivesNoLongerThanItsWindow() throws SQLException {
    TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    Path file = dir.resolve("seals.db");
    try (DbProvider db =
        DbProviders.open(
            DbConfig.builder()
                .url("sqlite:" + file)
                .clock(clock)
                .refreshReuseGrace(Duration.ofSeconds(10))
                .build())) {
      String user = db.users().create("google", "ada", UserProfile.EMPTY).id();
      IssuedToken parent = db.refreshTokens().issue(user);
      IssuedToken child = db.refreshTokens().rotate(parent.token(), user).issued().orElseThrow();
      IssuedToken other = db.refreshTokens().issue(user);
      IssuedToken otherChild =
          db.refreshTokens().rotate(other.token(), user).issued().orElseThrow();
      assertThat(seal(file, child)).as("sealed for the window").isNotNull();

      clock.advance(Duration.ofSeconds(9));
      db.refreshTokens().pruneExpired(clock.instant(), 100);
      assertThat(seal(file, child)).as("the window is still open").isNotNull();
      IssuedToken grandChild =
          db.refreshTokens().rotate(otherChild.token(), user).issued().orElseThrow();
      assertThat(seal(file, otherChild)).as("cleared by its own rotation").isNull();

      clock.advance(Duration.ofSeconds(2));
      db.refreshTokens().pruneExpired(clock.instant(), 100);

      // a dump and the old parent no longer reveal the live child
      assertThat(seal(file, child)).isNull();
      assertThat(db.refreshTokens().findValid(child.token())).isPresent();
      assertThat(seal(file, grandChild)).as("its own window is still open").isNotNull();
      db.refreshTokens().revoke(grandChild.token());
      assertThat(seal(file, grandChild)).as("cleared by revocation").isNull();
    }
  }

  private static String seal(Path file, IssuedToken token) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var ps = c.prepareStatement("SELECT grace_seal FROM refresh_tokens WHERE id = ?")) {
      ps.setString(1, token.record().id());
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getString(1);
      }
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
