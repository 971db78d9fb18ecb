package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.testkit.FreshDatabases;
import dev.polydb.testkit.PostgresTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to copy: a one-line error, the exit code a script can act on, nothing written to the
 * target, no password printed.
 */
class CopyRefusalsTest {
  private static final String PASSWORD = "Pw-d0-not-print";
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  @Test
  void aMissingFileIsRefusedAndTheTargetIsUntouched() throws SQLException {
    String target = databases.newUrl();

    Cli.Run run = Cli.run("copy", "--from", "sqlite:" + dir.resolve("missing.db"), "--to", target);

    assertRefused(run, "sqlite file not found");
    assertUntouched(target);
    assertThat(Files.exists(dir.resolve("missing.db"))).isFalse();
  }

  @Test
  void aFileThatIsNotSqliteIsRefused() throws Exception {
    Path file = dir.resolve("notes.db");
    Files.writeString(file, "these are not the tables you are looking for");
    String target = databases.newUrl();

    assertRefused(Cli.run("copy", "--from", "sqlite:" + file, "--to", target), "not a SQLite");
    assertUntouched(target);
  }

  @Test
  void aSourceAtAnotherSchemaVersionIsRefusedSayingWhich() throws Exception {
    Path file = dir.resolve("old.db");
    String source = SampleDatabase.write(file, 4, 1);
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM schema_migrations WHERE version = '3'");
    }
    String target = databases.newUrl();

    Cli.Run run = Cli.run("copy", "--from", source, "--to", target);

    assertRefused(run, "is at schema version 2");
    assertThat(run.err()).contains("polydb migrate");
    assertUntouched(target);
  }

  @Test
  void aTargetAtAnotherSchemaVersionIsRefusedSayingWhich() throws SQLException {
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 1);
    String target = databases.newUrl();
    assertThat(Cli.run(Map.of("DB_VECTOR_DIMENSION", "4"), "migrate", "--url", target).exit())
        .isZero();
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM schema_migrations WHERE version = '3'");
    }

    Cli.Run run = Cli.run("copy", "--from", source, "--to", target);

    assertRefused(run, "target");
    assertThat(run.err()).contains("is at schema version 2 and the source at 3");
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM users")) {
      rs.next();
      assertThat(rs.getLong(1)).isZero();
    }
  }

  @Test
  void anUnreachableTargetIsRefused() {
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 1);

    Cli.Run run =
        Cli.run(
            "copy", "--from", source, "--to", "postgres://app:" + PASSWORD + "@127.0.0.1:1/app");

    assertRefused(run, "cannot connect");
    assertThat(run.err()).contains("connection refused");
  }

  @Test
  void aRoleThatDoesNotExistIsRefusedWithoutItsPassword() throws SQLException {
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 1);
    String target = databases.newUrl();

    Cli.Run run = Cli.run("copy", "--from", source, "--to", withLogin(target, "no_such_role"));

    assertRefused(run, "login refused");
    assertUntouched(target);
  }

  /**
   * A wrong password for a role that exists. The test server may trust every other login; {@code
   * .ci/provision-postgres} makes this role give its password.
   */
  @Test
  void aWrongPasswordIsRefusedWithoutPrintingIt() throws SQLException {
    String role = "polydb_password_check";
    String right = "Right-" + Long.toHexString(new java.security.SecureRandom().nextLong());
    String target = databases.newUrl();
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
              + role
              + "') THEN CREATE ROLE "
              + role
              + "; END IF; END $$");
      s.execute("ALTER ROLE " + role + " LOGIN PASSWORD '" + right + "'");
    }
    // the server and database of the target, with no login of its own
    String server =
        target
            .replaceFirst("\\?.*", "")
            .replaceFirst("^postgres(ql)?://([^@/]*@)?", "jdbc:postgresql://");
    try (Connection ok = java.sql.DriverManager.getConnection(server, role, right)) {
      assertThat(ok.isValid(5)).isTrue();
    }
    String state = null;
    try {
      java.sql.DriverManager.getConnection(server, role, PASSWORD).close();
    } catch (SQLException e) {
      state = e.getSQLState();
    }
    if (state == null) {
      String why =
          "the server let "
              + role
              + " in with a wrong password: run .ci/provision-postgres, which makes it give one";
      if (PostgresTestServer.required()) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    assertThat(state).as("a wrong password").isEqualTo("28P01");
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 1);

    Cli.Run run = Cli.run("copy", "--from", source, "--to", withLogin(target, role));

    assertRefused(run, "login refused");
    assertThat(run.err()).doesNotContain(right);
    assertUntouched(target);
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement()) {
      s.execute("DROP ROLE " + role); // a login role with a known password outlives no test
    }
  }

  /** The URL with another role, and {@link #PASSWORD} as its password. */
  private static String withLogin(String url, String role) {
    return url.replaceFirst("://([^@/]*@)?", "://" + role + ":" + PASSWORD + "@");
  }

  @Test
  void aNonEmptyTargetIsRefusedUnlessToldToEmptyIt() throws SQLException {
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 2);
    String target = databases.newUrl();
    assertThat(Cli.run("copy", "--from", source, "--to", target).exit()).isZero();

    Cli.Run again = Cli.run("copy", "--from", source, "--to", target);

    assertRefused(again, "is not empty");
    assertThat(again.err()).contains("--truncate-target");
    Cli.Run emptied = Cli.run("copy", "--from", source, "--to", target, "--truncate-target");
    assertThat(emptied.exit()).as(emptied.all()).isZero();
    assertThat(Cli.run("verify", "--from", source, "--to", target).exit()).isZero();
  }

  @Test
  void aTargetWhoseVectorSettingsDifferIsRefused() throws SQLException {
    String target = databases.newUrl();
    assertThat(Cli.run(Map.of("DB_VECTOR_DIMENSION", "16"), "migrate", "--url", target).exit())
        .isZero();
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 1);

    Cli.Run run = Cli.run("copy", "--from", source, "--to", target);

    assertRefused(run, "dimension");
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM users")) {
      rs.next();
      assertThat(rs.getLong(1)).isZero();
    }
  }

  private static void assertRefused(Cli.Run run, String words) {
    assertThat(run.exit()).as(run.all()).isEqualTo(3);
    assertThat(run.err()).contains(words).doesNotContain(PASSWORD);
    assertThat(run.err().strip().lines().count()).as(run.err()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
  }

  private void assertUntouched(String target) throws SQLException {
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")) {
      rs.next();
      assertThat(rs.getLong(1)).as("tables in the target").isZero();
    }
  }
}
