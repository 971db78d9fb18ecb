package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviderFactory;
import dev.polydb.api.DbProviders;
import dev.polydb.api.Health;
import dev.polydb.api.UserProfile;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** §2 opening a provider: URL forms, settings, redaction, the SPI, closing. */
public abstract class OpeningContract {

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  // ---- no password anywhere ----

  @Test
  void providerAndHealthDescriptionsShowOnlyTheRedactedUrl() {
    DbProvider db = fixture().db();
    String redacted = db.config().redactedUrl();
    assertThat(redacted).isEqualTo(DatabaseUrl.redact(fixture().url()));
    assertThat(db.toString()).contains(redacted);
    assertThat(db.config().toString()).contains(redacted);
    // where the backend's test URL holds a password (a server), none of these may show it
    Optional<String> password =
        DatabaseUrl.isKnownScheme(fixture().url())
            ? DatabaseUrl.parse(fixture().url()).password().filter(p -> !p.isEmpty())
            : Optional.empty();
    password.ifPresent(
        secret -> {
          assertThat(redacted).doesNotContain(secret);
          assertThat(db.toString()).doesNotContain(secret);
          assertThat(db.health().toString()).doesNotContain(secret);
          assertThat(db.config().toString()).doesNotContain(secret);
        });
  }

  @Test
  void aTenantIsNeverIgnoredSilently() {
    // a tenant that was never created is an error, never the database's shared data; a backend
    // without tenants refuses the setting
    if (fixture().supports(Feature.TENANTS)) {
      assertThatThrownBy(() -> fixture().openFresh(b -> b.tenant("acme")))
          .isInstanceOf(DbNotFoundException.class)
          .hasMessageContaining("tenant");
    } else {
      assertThatThrownBy(() -> fixture().openFresh(b -> b.tenant("acme")))
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining("tenant");
    }
  }

  // ---- selection through the SPI ----

  @Test
  void findsTheBackendThroughServiceLoader() {
    DbProviderFactory factory = DbProviders.factoryFor(fixture().url());
    assertThat(factory.name()).isNotBlank();
    assertThat(factory.supports(fixture().url())).isTrue();

    try (DbProvider p = DbProviders.open(fixture().newUnmigratedUrl())) {
      assertThat(p.backend()).isNotBlank().isEqualTo(fixture().db().backend());
      String id = p.users().create("google", "spi", UserProfile.EMPTY).id();
      assertThat(p.users().findById(id)).isPresent();
    }
  }

  @Test
  void aClockOutsideTheStoredRangeIsAConfigErrorAndWritesNothing() {
    Clock farFuture = Clock.fixed(Instant.parse("+10000-01-01T00:00:00Z"), ZoneOffset.UTC);
    DbProvider db = fixture().openFresh(b -> b.clock(farFuture));

    assertThatThrownBy(() -> db.users().create("google", "ada", UserProfile.EMPTY))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("clock")
        .hasMessageContaining("+10000-01-01T00:00:00Z");
    assertThat(db.users().findByProvider("google", "ada")).isEmpty();
  }

  // ---- life cycle and health ----

  @Test
  void aCallAfterCloseThrowsIllegalStateException() {
    DbProvider p = fixture().openFresh(b -> {});
    String id = p.users().create("google", "closing", UserProfile.EMPTY).id();

    p.close();

    assertThatThrownBy(() -> p.users().findById(id)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> p.journal().insert(id, "x")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> p.inTransaction(tx -> tx.users().findById(id)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closingTwiceIsHarmless() {
    DbProvider p = fixture().openFresh(b -> {});
    p.users().create("google", "twice", UserProfile.EMPTY);

    p.close();

    assertThatCode(p::close).doesNotThrowAnyException();
  }

  @Test
  void healthReportsAReachableMigratedWritableDatabase() {
    DbProvider db = fixture().db();
    db.users().create("google", "health", UserProfile.EMPTY);

    Health health = db.health();

    assertThat(health.backend()).isEqualTo(db.backend());
    assertThat(health.reachable()).isTrue();
    assertThat(health.problem()).isEmpty();
    assertThat(health.latency()).isGreaterThanOrEqualTo(Duration.ZERO);
    assertThat(health.schemaVersion()).hasValueSatisfying(v -> assertThat(v).isNotBlank());
    assertThat(health.readOnly()).isFalse();
    assertThat(health.pool().max()).isGreaterThanOrEqualTo(1);
    assertThat(health.pool().active()).isNotNegative();
    assertThat(health.pool().idle()).isNotNegative();
    assertThat(health.pool().pending()).isNotNegative();
    assertThat(health.pool().total()).isBetween(0, health.pool().max());
  }

  @Test
  void configReturnsTheConfigurationTheProviderWasOpenedWith() {
    DbConfig config = fixture().db().config();

    assertThat(config.clock()).isSameAs(fixture().clock());
    assertThat(config.url()).isEqualTo(fixture().url());
    assertThat(config.vectorDimension()).isEqualTo(DbProviderContract.DIMENSION);
    assertThat(config.mutationsEnabled()).isTrue();
    assertThat(config.migrateOnOpen()).isTrue();
  }

  @Test
  void settingsFromTheBuilderReachTheProvider() {
    DbProvider p = fixture().openFresh(b -> b.poolSize(2).statementTimeout(Duration.ofMillis(750)));

    assertThat(p.config().poolSize()).isEqualTo(OptionalInt.of(2));
    assertThat(p.config().statementTimeout()).isEqualTo(Duration.ofMillis(750));
    assertThat(p.health().pool().max()).isEqualTo(2);
  }

  @Test
  void defaultPoolSizeIsTheDocumentedOne() {
    assumeTrue(
        DatabaseUrl.isKnownScheme(fixture().url())
            && !DatabaseUrl.parse(fixture().url()).inMemory(),
        "not a built-in backend's file or server URL");

    DatabaseUrl.Kind kind = DatabaseUrl.parse(fixture().url()).kind();
    int expected = kind == DatabaseUrl.Kind.POSTGRES ? 10 : 4;
    assertThat(fixture().db().health().pool().max()).isEqualTo(expected);
  }

  // ---- helpers ----

}
