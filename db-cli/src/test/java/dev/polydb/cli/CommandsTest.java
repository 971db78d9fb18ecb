package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** migrate, info, validate and doctor on both engines; help, usage errors and exit codes. */
class CommandsTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  private String url(String engine) {
    if (engine.equals("sqlite")) {
      return "sqlite:" + dir.resolve("app.db");
    }
    return databases.newUrl();
  }

  @ParameterizedTest
  @ValueSource(strings = {"migrate", "info", "validate", "copy", "verify", "doctor"})
  void everyCommandHasHelpWithAnExample(String command) {
    Cli.Run run = Cli.run(command, "--help");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("Usage: polydb " + command).contains("Example:");
  }

  @Test
  void badUsageExitsWith2() {
    assertThat(Cli.run("copy", "--from", "sqlite:x.db").exit()).isEqualTo(2);
    assertThat(Cli.run("verify", "--no-such-option").exit()).isEqualTo(2);
    assertThat(Cli.run("no-such-command").exit()).isEqualTo(2);
    assertThat(Cli.run("copy", "--to", "postgres://h/db", "--batch-rows", "0").exit()).isEqualTo(2);
  }

  @Test
  void aUrlThatIsRefusedExitsWith3AndNeverShowsItsPassword() {
    Cli.Run run = Cli.run("info", "--url", "postgres//app:Secret-Pw1@host/db");

    assertThat(run.exit()).isEqualTo(3);
    assertThat(run.all()).doesNotContain("Secret-Pw1").contains("polydb info:");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void migrateInfoAndValidateTellWhereTheSchemaStands(String engine) throws Exception {
    String url = url(engine);

    Cli.Run migrate = Cli.run("migrate", "--url", url, "--json");
    assertThat(migrate.exit()).as(migrate.all()).isZero();
    assertThat(migrate.out()).contains("\"before\" : \"none\"").contains("\"after\" : \"3\"");
    assertThat(Cli.run("migrate", "--url", url).out()).contains("schema version 3, up to date");

    Cli.Run info = Cli.run("info", "--url", url, "--json");
    assertThat(info.exit()).isZero();
    assertThat(info.out())
        .contains("\"current\" : \"3\"")
        .contains("\"version\" : \"1\"")
        .contains("\"state\" : \"Success\"");
    Cli.Run valid = Cli.run("validate", "--url", url);
    assertThat(valid.exit()).as(valid.all()).isZero();
    assertThat(valid.out()).contains("checksums match");

    try (Connection c = connection(engine, url);
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE schema_migrations SET checksum = checksum + 1 WHERE version = '1'");
    }
    Cli.Run changed = Cli.run("validate", "--url", url);
    assertThat(changed.exit()).isEqualTo(1);
    assertThat(changed.err()).contains("validate failed").contains("checksum");
  }

  @Test
  void infoListsPendingVersionsOfAnEmptyDatabase() {
    Cli.Run info = Cli.run("info", "--url", url("postgres"));

    assertThat(info.exit()).as(info.all()).isZero();
    assertThat(info.out()).contains("schema version none").contains("Pending");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void doctorReportsWhatItFindsAndExits1OnAProblem(String engine) throws Exception {
    String url = url(engine);
    assertThat(Cli.run("migrate", "--url", url).exit()).isZero();

    Cli.Run healthy = Cli.run("doctor", "--url", url, "--json");

    assertThat(healthy.exit()).as(healthy.all()).isZero();
    assertThat(healthy.out()).contains("\"schemaVersion\" : \"3\"").contains("\"problems\" : [ ]");
    if (engine.equals("sqlite")) {
      assertThat(healthy.out())
          .contains("\"journalMode\" : \"wal\"")
          .contains("\"quickCheck\" : \"ok\"");
    } else {
      assertThat(healthy.out())
          .contains("\"pgvectorVersion\"")
          .contains("\"vectorIndex\" : \"hnsw");
    }
    try (Connection c = connection(engine, url);
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM schema_migrations WHERE version = '3'");
    }
    Cli.Run behind = Cli.run(Map.of("DATABASE_URL", url), "doctor");
    assertThat(behind.exit()).isEqualTo(1);
    assertThat(behind.out()).contains("problem: schema version 2 is not this tool's 3");
  }

  private Connection connection(String engine, String url) throws Exception {
    return engine.equals("sqlite")
        ? java.sql.DriverManager.getConnection("jdbc:" + url)
        : databases.dataSource(url).getConnection();
  }
}
