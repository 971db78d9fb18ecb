package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** polydb tenants create, list, drop and migrate, on a whole PostgreSQL database and on SQLite. */
class TenantsCommandTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  @Test
  void onPostgresEachTenantIsAMigratedSchemaInTheRegistry() throws SQLException {
    String url = databases.newServerDatabaseUrl();

    Cli.Run acme = Cli.run("tenants", "create", "acme", "--url", url);
    Cli.Run globex = Cli.run("tenants", "create", "globex", "--url", url);
    Cli.Run again = Cli.run("tenants", "create", "acme", "--url", url);

    assertThat(acme.exit()).as(acme.all()).isZero();
    assertThat(acme.out()).contains("tenant acme ready in schema tenant_acme, schema version 3");
    assertThat(globex.exit()).as(globex.all()).isZero();
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(tables(url, "tenant_acme")).isEqualTo(tables(url, "tenant_globex")).isGreaterThan(7);
    try (Connection c = ServerRoles.connect(url);
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT max(version) FROM tenant_acme.schema_migrations WHERE success")) {
      r.next();
      assertThat(r.getString(1)).isEqualTo("3");
    }
    Cli.Run list = Cli.run("tenants", "list", "--url", url, "--json");
    assertThat(list.out())
        .contains(
            "\"id\" : \"acme\"", "\"where\" : \"schema tenant_acme\"", "\"state\" : \"ready\"")
        .contains("\"id\" : \"globex\"");
    Cli.Run migrate = Cli.run("migrate", "--url", url);
    assertThat(migrate.out())
        .as(migrate.all())
        .contains("tenant acme: schema version 3", "tenant globex: schema version 3");

    Cli.Run unconfirmed = Cli.run("tenants", "drop", "acme", "--url", url);
    Cli.Run mistyped = Cli.run("tenants", "drop", "acme", "--url", url, "--confirm", "acne");
    assertThat(unconfirmed.exit()).isEqualTo(2);
    assertThat(unconfirmed.err()).contains("give its id again with --confirm, or --yes");
    assertThat(mistyped.exit()).isEqualTo(3);
    assertThat(tables(url, "tenant_acme")).isPositive();

    Cli.Run drop = Cli.run("tenants", "drop", "acme", "--url", url, "--confirm", "acme");
    assertThat(drop.exit()).as(drop.all()).isZero();
    assertThat(tables(url, "tenant_acme")).isZero();
    assertThat(Cli.run("tenants", "list", "--url", url).out())
        .contains("1 tenant")
        .contains("globex")
        .doesNotContain("acme");
    assertThat(Cli.run("tenants", "drop", "acme", "--url", url, "--yes").exit()).isEqualTo(1);
  }

  @Test
  void idsOutsideTheRuleAreRefusedAndNeverAdjusted() {
    String url = "sqlite:" + dir.resolve("app.db");
    for (String bad :
        new String[] {
          "Acme", "1acme", "acme-corp", "acme;drop", "public", "pg_acme", "select", "\u0430cme"
        }) {
      Cli.Run run = Cli.run("tenants", "create", bad, "--url", url);
      assertThat(run.exit()).as(bad).isEqualTo(3);
      assertThat(run.err()).as(bad).contains("tenant must");
    }
    assertThat(dir.resolve("app.db.tenants")).doesNotExist();
  }

  @Test
  void onSqliteEachTenantIsAMigratedFile() {
    String url = "sqlite:" + dir.resolve("app.db");

    Cli.Run create = Cli.run("tenants", "create", "acme", "--url", url);

    assertThat(create.exit()).as(create.all()).isZero();
    Path file = dir.resolve("app.db.tenants").resolve("acme.db");
    assertThat(file).isRegularFile();
    assertThat(Cli.run("info", "--url", "sqlite:" + file).out()).contains("schema version 3");
    assertThat(Cli.run("tenants", "list", "--url", url).out()).contains("acme", "ready");
    Cli.Run migrate = Cli.run("migrate", "--url", url);
    assertThat(migrate.out()).as(migrate.all()).contains("tenant acme: schema version 3");
    Cli.Run drop = Cli.run("tenants", "drop", "acme", "--url", url, "--yes");
    assertThat(drop.exit()).as(drop.all()).isZero();
    assertThat(Files.exists(file)).isFalse();
  }

  private static int tables(String url, String schema) throws SQLException {
    try (Connection c = ServerRoles.connect(url);
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema + "'")) {
      r.next();
      return r.getInt(1);
    }
  }
}
