package dev.polydb.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.SecretUrls;
import dev.polydb.api.SecretUrls.SecretUrl;
import dev.polydb.testkit.FreshDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Opening a Postgres provider: a failure is classified by its cause (a wrong address, login,
 * database or option is a configuration error; a server that may come back is transient), and a
 * password never shows, whatever the URL; health reports what the database allows.
 */
class PostgresOpeningTest {

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @Test
  void anUnknownHostIsAConfigErrorThatSaysSo() {
    assertThatThrownBy(() -> open("postgres://u:pw@no-such-host.invalid/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("unknown host")
        .hasMessageNotContaining(":pw@");
  }

  @Test
  void aMissingDatabaseIsAConfigErrorThatSaysSo() {
    String url = withDatabase(databases.newUrl(), "polydb_no_such_database");

    assertThatThrownBy(() -> open(url))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("does not exist")
        .hasMessageContaining("3D000");
  }

  @Test
  void aRefusedLoginIsAConfigErrorThatSaysSo() {
    String url = databases.newUrl().replaceFirst("://[^@/]*@", "://polydb_no_such_role:wrong-pw@");
    assertThat(url).contains("polydb_no_such_role");

    assertThatThrownBy(() -> open(url))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("refused the login")
        .hasMessageNotContaining("wrong-pw");
  }

  @Test
  void anOptionTheServerRefusesIsAConfigError() {
    String url = databases.newUrl() + "&options=-c%20work_mem%3Dlots";

    assertThatThrownBy(() -> open(url)).isInstanceOf(DbConfigException.class);
  }

  @Test
  void anOptionValueTheLibraryKnowsIsCheckedBeforeConnecting() {
    assertThatThrownBy(() -> open(databases.newUrl() + "&sslmode=sometimes"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("sslmode");
  }

  @Test
  void anIpv6HostIsGivenToTheDriverInBrackets() {
    // nothing listens on port 1: a refused connection, not a host the driver misread
    assertThatThrownBy(() -> open("postgres://u@[::1]:1/db"))
        .isInstanceOf(DbTransientException.class)
        .hasMessageContaining("[::1]:1");
  }

  @Test
  void healthReportsAReadOnlySessionOrARoleWithoutWriteGrantsEvenWithMutationsEnabled()
      throws SQLException {
    String url = databases.newUrl();
    DbProviders.open(DbConfig.builder().url(url).poolSize(2).build()).close();
    String schema = databases.server().schemaOf(url);
    String suffix = Long.toHexString(System.nanoTime());
    String readOnlySession = "polydb_rosession_" + suffix;
    String selectOnly = "polydb_select_" + suffix;
    try (Connection admin = databases.dataSource(url).getConnection();
        Statement st = admin.createStatement()) {
      for (String role : List.of(readOnlySession, selectOnly)) {
        st.execute("create role " + role + " login password 'pw'");
        st.execute("grant usage on schema " + schema + " to " + role);
        st.execute("grant select on all tables in schema " + schema + " to " + role);
      }
      st.execute("grant insert on all tables in schema " + schema + " to " + readOnlySession);
      st.execute("alter role " + readOnlySession + " set default_transaction_read_only = on");
      try {
        for (String role : List.of(readOnlySession, selectOnly)) {
          String asRole = url.replaceFirst("://[^@/]*@", "://" + role + ":pw@");
          try (DbProvider db =
              DbProviders.open(
                  DbConfig.builder().url(asRole).poolSize(2).migrateOnOpen(false).build())) {
            assertThat(db.config().mutationsEnabled()).isTrue();
            assertThat(db.health().readOnly()).as(role).isTrue();
          }
        }
      } finally {
        for (String role : List.of(readOnlySession, selectOnly)) {
          st.execute("drop owned by " + role);
          st.execute("drop role " + role);
        }
      }
    }
    try (DbProvider owner = DbProviders.open(DbConfig.builder().url(url).poolSize(2).build())) {
      assertThat(owner.health().readOnly()).isFalse();
    }
  }

  /** Every generated URL is opened for real, against a port where nothing listens. */
  @Property(tries = 300)
  void aPasswordNeverShowsWhenOpeningFails(@ForAll("secretUrls") SecretUrl secret) {
    String url =
        secret
            .url()
            .replace("db.example.com:5432", "127.0.0.1:1")
            .replace("db.example.com", "127.0.0.1:1")
            .replace("[::1]:5432", "127.0.0.1:1");
    SecretUrl local = new SecretUrl(url, secret.placed(), secret.password());

    SecretUrls.assertHidden(local, SecretUrls.shown(url));
  }

  @Provide
  Arbitrary<SecretUrl> secretUrls() {
    return net.jqwik.api.Arbitraries.oneOf(SecretUrls.any(), SecretUrls.mutated());
  }

  private static DbProvider open(String url) {
    return DbProviders.open(DbConfig.builder().url(url).poolSize(1).build());
  }

  /** The URL with another database name, every other part kept. */
  private static String withDatabase(String url, String database) {
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    String current = parsed.database().orElseThrow();
    int at = url.indexOf("/" + current, url.indexOf("//") + 2);
    assertThat(at).as("database name in %s", parsed.redacted()).isPositive();
    return url.substring(0, at + 1) + database + url.substring(at + 1 + current.length());
  }
}
