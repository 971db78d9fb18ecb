package dev.polydb.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbMetrics;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.PoolStats;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** A provider on the application's own HikariCP pool: used, measured, and never closed. */
class ApplicationPoolTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  private HikariDataSource applicationPool(String url, String initSql) {
    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(databases.dataSource(url));
    hikari.setPoolName("application-pool");
    hikari.setMaximumPoolSize(3);
    if (initSql != null) {
      hikari.setConnectionInitSql(initSql);
    }
    return new HikariDataSource(hikari);
  }

  @Test
  void theProviderWorksOnTheApplicationsPoolAndLeavesItOpen() throws Exception {
    String url = databases.newUrl();
    List<String> pools = new ArrayList<>();
    DbMetrics metrics =
        new DbMetrics() {
          @Override
          public void poolOpened(String backend, String pool, Supplier<PoolStats> stats) {
            pools.add(pool + " max " + stats.get().max());
          }
        };
    try (HikariDataSource pool = applicationPool(url, "SET statement_timeout = 5000")) {
      User user;
      try (DbProvider db =
          DbProviders.open(pool, DbConfig.builder().vectorDimension(4).metrics(metrics).build())) {
        assertThat(db.backend()).isEqualTo("postgres");
        user = db.users().create("google", "pooled", UserProfile.EMPTY);
        assertThat(db.users().findById(user.id())).contains(user);
        assertThat(db.health().reachable()).isTrue();
        assertThat(db.health().pool().max()).isEqualTo(3);
        assertThat(db.config().redactedUrl()).startsWith("jdbc:postgresql://");
      }
      assertThat(pools).containsExactly("application-pool max 3");
      assertThat(pool.isClosed()).as("the application's pool outlives the provider").isFalse();
      try (Connection c = pool.getConnection();
          Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT count(*) FROM users")) {
        r.next();
        assertThat(r.getInt(1)).as("migrated and written through the application's pool").isOne();
      }
    }
  }

  @Test
  void aPoolWhoseSessionsLackTheTimeoutStillWorks() {
    String url = databases.newUrl();
    try (HikariDataSource pool = applicationPool(url, null);
        DbProvider db = DbProviders.open(pool, DbConfig.builder().vectorDimension(4).build())) {
      assertThat(db.users().findByProvider("google", "nobody")).isEmpty();
    }
  }

  @Test
  void aPoolOfAnotherDatabaseOrModeIsRefusedByName() {
    SQLiteDataSource sqlite = new SQLiteDataSource();
    sqlite.setUrl("jdbc:sqlite:" + dir.resolve("app.db"));
    assertThatThrownBy(() -> DbProviders.open(sqlite, DbConfig.builder().build()))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("no provider works on a DataSource of SQLite");
    assertThatThrownBy(
            () ->
                DbProviders.open(
                    sqlite,
                    DbConfig.builder()
                        .url("sqlite:" + dir.resolve("app.db"))
                        .mode(dev.polydb.api.BackendMode.MIRROR)
                        .mirrorUrl(databases.newUrl())
                        .build()))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("DB_MODE=mirror");
  }
}
