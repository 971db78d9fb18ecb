package dev.polydb.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.RotationResult;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The figures move as calls are made, on a SQLite file and on PostgreSQL. */
class MicrometerMetricsTest {
  private static final String SECRET = "s3cret-in-the-url";

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  /** The server trusts local logins, so a password in the URL is accepted and must not leak. */
  private String url(String backend) {
    return backend.equals("sqlite")
        ? "sqlite:" + dir.resolve("app.db")
        : databases.newUrl().replaceFirst("://([^:@/]+)@", "://$1:" + SECRET + "@");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void everyCallThePoolAndTheEventsAreMeasured(String backend) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DbConfig config =
        DbConfig.builder()
            .url(url(backend))
            .vectorDimension(4)
            .refreshReuseGrace(Duration.ZERO)
            .metrics(new MicrometerMetrics(registry))
            .build();
    String pool;
    try (DbProvider db = DbProviders.open(config)) {
      User user = db.users().create("google", "metered", UserProfile.of("m@x.test", null, null));
      for (int i = 0; i < 3; i++) {
        db.users().findById(user.id());
      }
      assertThatThrownBy(() -> db.users().create("google", "metered", UserProfile.EMPTY))
          .isInstanceOf(dev.polydb.api.DbConflictException.class);
      IssuedToken first = db.refreshTokens().issue(user.id());
      db.refreshTokens().rotate(first.token(), user.id());
      RotationResult reuse = db.refreshTokens().rotate(first.token(), user.id());
      assertThat(reuse).isInstanceOf(RotationResult.ReuseDetected.class);
      db.subscriptions().runExpirySweep(Instant.now());
      db.jtis().revoke("jti-1", user.id(), Instant.now().plusSeconds(600));
      db.jtis().isRevoked("jti-1"); // revoked by this process: answered from the cache
      db.jtis().isRevoked("jti-unknown"); // asks the database
      db.inTransaction(tx -> tx.users().findById(user.id()));

      assertThat(count(registry, "users.findById", "success")).isEqualTo(4);
      assertThat(count(registry, "users.create", "success")).isEqualTo(1);
      assertThat(count(registry, "users.create", "conflict")).isEqualTo(1);
      assertThat(count(registry, "refreshTokens.rotate", "success")).isEqualTo(2);
      assertThat(count(registry, "inTransaction", "success")).isEqualTo(1);
      assertThat(
              registry
                  .get("polydb.operation")
                  .tags("backend", backend, "operation", "users.findById")
                  .timer()
                  .totalTime(java.util.concurrent.TimeUnit.NANOSECONDS))
          .isPositive();
      assertThat(registry.get("polydb.refresh_tokens.reuse_detected").counter().count())
          .isEqualTo(1);
      assertThat(registry.get("polydb.subscriptions.expiry_sweeps").counter().count()).isEqualTo(1);
      assertThat(registry.get("polydb.jtis.cache").tag("result", "hit").counter().count())
          .isEqualTo(1);
      assertThat(registry.get("polydb.jtis.cache").tag("result", "miss").counter().count())
          .isEqualTo(1);

      pool = registry.get("polydb.pool.total").gauge().getId().getTag("pool");
      assertThat(pool).startsWith("polydb-" + backend + "-");
      assertThat(registry.get("polydb.pool.total").gauge().value()).isPositive();
      assertThat(registry.get("polydb.pool.max").gauge().value())
          .isEqualTo(db.health().pool().max());
      // HikariCP's own tracker, on the same unique pool name
      assertThat(registry.find("hikaricp.connections").tag("pool", pool).gauge()).isNotNull();

      for (Meter meter : registry.getMeters()) {
        for (Tag tag : meter.getId().getTags()) {
          assertThat(tag.getValue())
              .as(meter.getId().toString())
              .doesNotContain(SECRET, "m@x.test", "metered", user.id(), "jti-1", "://");
        }
      }
    }
    assertThat(registry.find("polydb.pool.total").tag("pool", pool).gauge())
        .as("removed when the provider closes")
        .isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void twoProvidersInOneProcessGetPoolsOfTheirOwn(String backend) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<String> names = new ArrayList<>();
    try (DbProvider a = open(backend, registry, "a.db");
        DbProvider b = open(backend, registry, "b.db")) {
      registry.find("polydb.pool.total").gauges().forEach(g -> names.add(g.getId().getTag("pool")));
      assertThat(a.users().findById("nobody")).isEmpty();
      assertThatThrownBy(() -> b.jtis().revoke("", null, Instant.now()))
          .isNotInstanceOf(DbNotFoundException.class);
    }
    assertThat(names).hasSize(2).doesNotHaveDuplicates();
    assertThat(count(registry, "users.findById", "success")).isEqualTo(1);
    assertThat(count(registry, "jtis.revoke", "invalid")).isEqualTo(1);
  }

  private DbProvider open(String backend, SimpleMeterRegistry registry, String file) {
    String url = backend.equals("sqlite") ? "sqlite:" + dir.resolve(file) : databases.newUrl();
    return DbProviders.open(
        DbConfig.builder()
            .url(url)
            .vectorDimension(4)
            .metrics(new MicrometerMetrics(registry))
            .build());
  }

  private static long count(SimpleMeterRegistry registry, String operation, String outcome) {
    return Stream.ofNullable(
            registry
                .find("polydb.operation")
                .tags("operation", operation, "outcome", outcome)
                .timer())
        .mapToLong(t -> t.count())
        .sum();
  }
}
