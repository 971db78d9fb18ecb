package dev.polydb.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The auto-configuration in a real Spring context, on a SQLite file and on PostgreSQL. */
class PolydbAutoConfigurationTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(PolydbAutoConfiguration.class))
          .withPropertyValues("DB_VECTOR_DIMENSION=4");

  private HikariDataSource applicationPool(String url) {
    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(databases.dataSource(url));
    hikari.setPoolName("application-pool");
    hikari.setMaximumPoolSize(2);
    return new HikariDataSource(hikari);
  }

  @Test
  void databaseUrlFromThePropertiesOpensAProviderThatClosesWithTheContext() {
    Path file = dir.resolve("app.db");
    AtomicReference<DbProvider> opened = new AtomicReference<>();
    runner
        .withPropertyValues("DATABASE_URL=sqlite:" + file, "DB_REFRESH_REUSE_GRACE=2s")
        .run(
            context -> {
              DbProvider db = context.getBean(DbProvider.class);
              opened.set(db);
              assertThat(db.backend()).isEqualTo("sqlite");
              assertThat(db.config().vectorDimension()).isEqualTo(4);
              assertThat(db.config().refreshReuseGrace()).hasSeconds(2);
              User user = db.users().create("google", "spring", UserProfile.EMPTY);
              assertThat(db.users().findById(user.id())).contains(user);
            });
    assertThat(Files.exists(file)).isTrue();
    assertThatThrownBy(() -> opened.get().users().findById("x"))
        .as("closed with the context")
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theApplicationsDataSourceIsUsedAndOutlivesTheContext() {
    String url = databases.newUrl();
    try (HikariDataSource pool = applicationPool(url)) {
      runner
          // the test owns this pool: Spring must not close it either
          .withBean(DataSource.class, () -> pool, bean -> bean.setDestroyMethodName(""))
          .run(
              context -> {
                DbProvider db = context.getBean(DbProvider.class);
                assertThat(db.backend()).isEqualTo("postgres");
                assertThat(db.health().pool().max()).isEqualTo(2);
                db.users().create("google", "pooled", UserProfile.EMPTY);
              });
      assertThat(pool.isClosed()).as("the provider leaves the pool open").isFalse();
      try (DbProvider again =
          DbProviders.open(pool, DbConfig.builder().vectorDimension(4).build())) {
        assertThat(again.users().findByProvider("google", "pooled")).isPresent();
      }
    }
  }

  @Test
  void databaseUrlWinsOverTheApplicationsDataSource() {
    String url = databases.newUrl();
    try (HikariDataSource pool = applicationPool(url)) {
      runner
          .withBean(DataSource.class, () -> pool)
          .withPropertyValues("DATABASE_URL=sqlite:" + dir.resolve("own.db"))
          .run(
              context ->
                  assertThat(context.getBean(DbProvider.class).backend()).isEqualTo("sqlite"));
    }
  }

  @Test
  void callsAreMeasuredInTheApplicationsRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    runner
        .withBean(MeterRegistry.class, () -> registry)
        .withPropertyValues("DATABASE_URL=sqlite:" + dir.resolve("metered.db"))
        .run(
            context -> {
              DbProvider db = context.getBean(DbProvider.class);
              User user = db.users().create("google", "metered", UserProfile.EMPTY);
              db.users().findById(user.id());
              db.users().findById(user.id());
              assertThat(
                      registry
                          .get("polydb.operation")
                          .tags("backend", "sqlite", "operation", "users.findById")
                          .tag("outcome", "success")
                          .timer()
                          .count())
                  .isEqualTo(2);
            });
  }

  @Test
  void theHealthIndicatorReportsTheProvider() {
    runner
        .withPropertyValues("DATABASE_URL=sqlite:" + dir.resolve("healthy.db"))
        .run(
            context -> {
              Health health = context.getBean(PolydbHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails())
                  .containsEntry("backend", "sqlite")
                  .containsEntry("readOnly", false)
                  .containsKeys("latencyMillis", "pool", "schemaVersion")
                  .doesNotContainKey("problem");
            });
  }

  @Test
  void anUnreachableDatabaseIsDownWithTheProblemAndNoPassword() {
    String url = databases.newUrl();
    HikariDataSource pool = applicationPool(url);
    runner
        .withBean(DataSource.class, () -> pool)
        .run(
            context -> {
              pool.close();
              Health health = context.getBean(PolydbHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails()).containsKey("problem");
            });
  }

  @Test
  void theApplicationsOwnProviderReplacesTheAutoConfiguredOne() {
    DbProvider own = DbProviders.open("sqlite:" + dir.resolve("own.db"));
    try {
      runner
          .withBean(DbProvider.class, () -> own)
          .withPropertyValues("DATABASE_URL=sqlite:" + dir.resolve("unused.db"))
          .run(context -> assertThat(context.getBean(DbProvider.class)).isSameAs(own));
      assertThat(Files.exists(dir.resolve("unused.db"))).isFalse();
    } finally {
      own.close();
    }
  }

  @Test
  void itCanBeSwitchedOff() {
    runner
        .withPropertyValues("polydb.enabled=false", "DATABASE_URL=sqlite:" + dir.resolve("off.db"))
        .run(context -> assertThat(context).doesNotHaveBean(DbProvider.class));
  }

  @Test
  void aBadSettingStopsTheContextNamingTheVariable() {
    runner
        .withPropertyValues(
            "DATABASE_URL=sqlite:" + dir.resolve("bad.db"), "DB_VECTOR_METRIC=manhattan")
        .run(
            context ->
                assertThat(context)
                    .hasFailed()
                    .getFailure()
                    .hasRootCauseInstanceOf(DbConfigException.class)
                    .hasStackTraceContaining(
                        "DB_VECTOR_METRIC: must be cosine, l2 or inner_product: manhattan"));
  }
}
