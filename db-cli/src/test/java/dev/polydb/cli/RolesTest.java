package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** roles create and roles check on whole databases of the test PostgreSQL server. */
class RolesTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();
  @RegisterExtension final Productions productions = new Productions(databases);

  private ServerRoles roles;

  @BeforeEach
  void database() {
    roles = productions.database();
  }

  @Test
  void theFourRolesPassTheirAuditOnceTheOwnerHasMigrated() throws SQLException {
    Cli.Run create = roles.create();
    assertThat(create.out())
        .contains(roles.role("owner"), roles.role("readonly"), "created (password set)")
        .doesNotContain(ServerRoles.PASSWORD_PREFIX);

    Cli.Run migrate = Cli.run("migrate", "--url", roles.urlAs("owner"));
    assertThat(migrate.exit()).as(migrate.all()).isZero();

    for (String kind : new String[] {"owner", "app", "readonly", "import"}) {
      Cli.Run check = Cli.run("roles", "check", "--url", roles.urlAs(kind), "--as", kind);
      assertThat(check.exit()).as(kind + ": " + check.all()).isZero();
      assertThat(check.out()).contains("no deviation").doesNotContain(ServerRoles.PASSWORD_PREFIX);
    }
    // tables created after the roles, by the owner, carry the grants: default privileges
    Cli.Run app = Cli.run("roles", "check", "--url", roles.urlAs("app"), "--as", "readonly");
    assertThat(app.exit()).isEqualTo(1);
    assertThat(app.out())
        .contains("extra INSERT on users", "extra DELETE on chunks")
        .contains("read-only: default_transaction_read_only is off");
    try (Connection c = ServerRoles.connect(roles.adminUrl);
        PreparedStatement p =
            c.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
      p.setString(1, roles.role("import"));
      try (ResultSet r = p.executeQuery()) {
        assertThat(r.next()).isTrue();
        assertThat(r.getString(1)).startsWith("SCRAM-SHA-256$");
      }
    }
  }

  @Test
  void everyDeviationIsListedAndCreateTakesTheRolesBack() throws SQLException {
    roles.create();
    assertThat(Cli.run("migrate", "--url", roles.urlAs("owner")).exit()).isZero();
    String owner = roles.role("owner");
    String readonly = roles.role("readonly");
    String importer = roles.role("import");
    roles.admin(
        "GRANT DELETE ON users TO " + readonly,
        "REVOKE SELECT ON chunks FROM " + readonly,
        "ALTER ROLE " + readonly + " CREATEROLE BYPASSRLS",
        "ALTER ROLE " + readonly + " RESET default_transaction_read_only",
        "GRANT CREATE ON SCHEMA public TO PUBLIC",
        "GRANT TEMPORARY ON DATABASE " + roles.database + " TO " + readonly,
        "GRANT pg_read_server_files TO " + importer,
        "ALTER DEFAULT PRIVILEGES FOR ROLE "
            + owner
            + " IN SCHEMA public REVOKE SELECT ON TABLES"
            + " FROM "
            + readonly,
        "CREATE TABLE stray (id int)",
        "ALTER TABLE stray OWNER TO " + readonly);

    Cli.Run check =
        Cli.run("roles", "check", "--url", roles.urlAs("readonly"), "--as", "readonly", "--json");

    assertThat(check.exit()).as(check.all()).isEqualTo(1);
    assertThat(check.out())
        .contains("\"ok\" : false")
        .contains("extra DELETE on users")
        .contains("missing SELECT on chunks")
        .contains("\"createrole\"", "\"bypassrls\"")
        .contains("default_transaction_read_only is off")
        .contains("PUBLIC may create objects in schema public")
        .contains("may create objects in schema public")
        .contains("may create temporary tables")
        .contains("owns public.stray")
        .contains("tables " + owner + " creates later in public grant nothing");
    Cli.Run importCheck =
        Cli.run("roles", "check", "--url", roles.urlAs("import"), "--as", "import");
    assertThat(importCheck.exit()).isEqualTo(1);
    assertThat(importCheck.out()).contains("is a member of pg_read_server_files");
    Cli.Run ownerCheck = Cli.run("roles", "check", "--url", roles.urlAs("owner"), "--as", "owner");
    assertThat(ownerCheck.out()).contains("table stray is owned by " + readonly);

    // run again with no password: the roles keep theirs and come back to their grants
    Cli.Run again = Cli.run("roles", "create", "--url", roles.adminUrl, "--prefix", roles.prefix);
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.out()).contains("updated (password kept)").doesNotContain("created");
    roles.admin("REVOKE pg_read_server_files FROM " + importer);
    for (String kind : new String[] {"owner", "app", "readonly", "import"}) {
      Cli.Run after = Cli.run("roles", "check", "--url", roles.urlAs(kind), "--as", kind);
      assertThat(after.exit()).as(kind + ": " + after.all()).isZero();
    }
  }

  @Test
  void theOwnerMakesTenantsAndTheOtherRolesGetTheirGrantsThere() throws SQLException {
    roles.create();
    assertThat(Cli.run("migrate", "--url", roles.urlAs("owner")).exit()).isZero();
    Cli.Run tenant = Cli.run("tenants", "create", "acme", "--url", roles.urlAs("owner"));
    assertThat(tenant.exit()).as(tenant.all()).isZero();

    try (DbProvider app = DbProviders.open(DbConfig.builder().url(roles.urlAs("app")).build())) {
      DbProvider acme = app.tenant("acme");
      User user = acme.users().create("google", "in-acme", UserProfile.EMPTY);
      assertThat(acme.users().findById(user.id())).contains(user);
      assertThat(app.users().findById(user.id())).isEmpty();
    }
    for (String kind : new String[] {"owner", "app", "readonly", "import"}) {
      Cli.Run check = Cli.run("roles", "check", "--url", roles.urlAs(kind), "--as", kind);
      assertThat(check.exit()).as(kind + ": " + check.all()).isZero();
    }
    roles.admin("GRANT TRUNCATE ON tenant_acme.users TO " + roles.role("readonly"));
    Cli.Run check = Cli.run("roles", "check", "--url", roles.urlAs("readonly"), "--as", "readonly");
    assertThat(check.out()).contains("extra TRUNCATE on tenant_acme.users");
    // run again, the grants in the tenant's schema come back too
    assertThat(Cli.run("roles", "create", "--url", roles.adminUrl, "--prefix", roles.prefix).exit())
        .isZero();
    assertThat(
            Cli.run("roles", "check", "--url", roles.urlAs("readonly"), "--as", "readonly").exit())
        .isZero();
  }

  @Test
  void printShowsTheSqlAndNoPasswordAndConnectsNowhere() {
    Map<String, String> env = roles.passwords();
    String unreachable = "postgres://admin@127.0.0.1:1/shop";

    Cli.Run print = Cli.run(env, "roles", "create", "--url", unreachable, "--print");

    assertThat(print.exit()).as(print.all()).isZero();
    assertThat(print.out())
        .contains("CREATE ROLE \"shop_owner\"")
        .contains("ALTER ROLE \"shop_readonly\" SET default_transaction_read_only = on;")
        .contains("REVOKE CREATE ON SCHEMA public FROM PUBLIC;")
        .contains("GRANT INSERT, SELECT ON ALL TABLES IN SCHEMA \"public\" TO \"shop_import\";")
        .contains("ALTER DEFAULT PRIVILEGES FOR ROLE \"shop_owner\"")
        .contains("\\password shop_app")
        .doesNotContain(ServerRoles.PASSWORD_PREFIX)
        .doesNotContainIgnoringCase("password '");
  }

  @Test
  void refusalsAreClear() {
    Cli.Run noPassword =
        Cli.run("roles", "create", "--url", roles.adminUrl, "--prefix", roles.prefix);
    assertThat(noPassword.exit()).isEqualTo(3);
    assertThat(noPassword.err())
        .contains("no password for the new role " + roles.role("owner"))
        .contains("POLYDB_OWNER_PASSWORD", "--no-passwords");

    Cli.Run badPrefix =
        Cli.run("roles", "create", "--url", roles.adminUrl, "--prefix", "x\"; drop", "--print");
    assertThat(badPrefix.exit()).isEqualTo(3);
    assertThat(badPrefix.err()).contains("role prefix must be lower-case letters");

    Cli.Run sqlite = Cli.run("roles", "check", "--url", "sqlite::memory:", "--as", "app");
    assertThat(sqlite.exit()).isEqualTo(3);
    assertThat(sqlite.err()).contains("roles are PostgreSQL's");

    Cli.Run badKind = Cli.run("roles", "check", "--url", roles.adminUrl, "--as", "admin");
    assertThat(badKind.exit()).isEqualTo(2);
    assertThat(badKind.err()).contains("owner, app, readonly, import");

    Cli.Run noTables =
        Cli.run(
            "roles", "create", "--url", roles.adminUrl, "--prefix", roles.prefix, "--no-passwords");
    assertThat(noTables.exit()).as(noTables.all()).isZero();
    assertThat(noTables.out()).contains("created (no password)");
    Cli.Run check = Cli.run("roles", "check", "--url", roles.urlAs("app"), "--as", "app");
    assertThat(check.exit()).isEqualTo(1);
    assertThat(check.out()).contains("holds no tables: migrate it as the owner first");
  }
}
