package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviderFactory;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.Health;
import dev.polydb.api.UserProfile;
import dev.polydb.api.VectorIndexType;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §2 opening a provider: URL forms, settings, redaction, the SPI, closing. */
public abstract class OpeningContract {

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  // ---- DATABASE_URL forms ----

  @Test
  void parsesLibpqStylePostgresUrls() {
    for (String scheme : List.of("postgres", "postgresql")) {
      DatabaseUrl url =
          DatabaseUrl.parse(scheme + "://alice:pw@db.example.com:6543/app?sslmode=require");

      assertThat(url.kind()).as(scheme).isEqualTo(DatabaseUrl.Kind.POSTGRES);
      assertThat(url.host()).as(scheme).contains("db.example.com");
      assertThat(url.port()).as(scheme).isEqualTo(6543);
      assertThat(url.database()).as(scheme).contains("app");
      assertThat(url.user()).as(scheme).contains("alice");
      assertThat(url.password()).as(scheme).contains("pw");
      assertThat(url.options()).as(scheme).isEqualTo(Map.of("sslmode", "require"));
      assertThat(url.sqlitePath()).as(scheme).isEmpty();
      assertThat(url.inMemory()).as(scheme).isFalse();
    }
  }

  @Test
  void parsesJdbcPostgresqlUrlsWithCredentialsInTheQuery() {
    DatabaseUrl url =
        DatabaseUrl.parse("jdbc:postgresql://pg.internal:5433/shop?user=bob&password=x&ssl=true");

    assertThat(url.kind()).isEqualTo(DatabaseUrl.Kind.POSTGRES);
    assertThat(url.host()).contains("pg.internal");
    assertThat(url.port()).isEqualTo(5433);
    assertThat(url.database()).contains("shop");
    assertThat(url.user()).contains("bob");
    assertThat(url.password()).contains("x");
    assertThat(url.options()).isEqualTo(Map.of("ssl", "true"));
  }

  @Test
  void usesPort5432WhenTheUrlGivesNone() {
    assertThat(DatabaseUrl.parse("postgres://u@h/db").port()).isEqualTo(5432);
    assertThat(DatabaseUrl.parse("postgresql://h/db").port()).isEqualTo(5432);
    assertThat(DatabaseUrl.parse("jdbc:postgresql://h/db").port()).isEqualTo(5432);
  }

  @Test
  void decodesPercentEncodedUserAndPassword() {
    DatabaseUrl url = DatabaseUrl.parse("postgres://us%65r%40corp:p%40ss%3Aw%2Fd@h:5432/db");

    assertThat(url.user()).contains("user@corp");
    assertThat(url.password()).contains("p@ss:w/d");
    assertThat(url.host()).contains("h");
    assertThat(url.database()).contains("db");
  }

  @Test
  void parsesSqliteFilePathsInEveryForm() {
    Map<String, Path> forms = new LinkedHashMap<>();
    forms.put("sqlite:relative/dir/app.db", Path.of("relative/dir/app.db"));
    forms.put("sqlite:/abs/dir/app.db", Path.of("/abs/dir/app.db"));
    forms.put("jdbc:sqlite:jdbc-dir/app.db", Path.of("jdbc-dir/app.db"));
    forms.put("jdbc:sqlite:/abs/jdbc.db", Path.of("/abs/jdbc.db"));
    forms.put("file:files/app.db", Path.of("files/app.db"));

    forms.forEach(
        (raw, path) -> {
          DatabaseUrl url = DatabaseUrl.parse(raw);
          assertThat(url.kind()).as(raw).isEqualTo(DatabaseUrl.Kind.SQLITE);
          assertThat(url.sqlitePath()).as(raw).contains(path);
          assertThat(url.inMemory()).as(raw).isFalse();
          assertThat(url.host()).as(raw).isEmpty();
          assertThat(url.password()).as(raw).isEmpty();
        });
  }

  @Test
  void parsesInMemorySqlite() {
    for (String raw : List.of("sqlite::memory:", "jdbc:sqlite::memory:")) {
      DatabaseUrl url = DatabaseUrl.parse(raw);
      assertThat(url.kind()).as(raw).isEqualTo(DatabaseUrl.Kind.SQLITE);
      assertThat(url.inMemory()).as(raw).isTrue();
      assertThat(url.sqlitePath()).as(raw).isEmpty();
    }
  }

  @Test
  void emptyOrMissingUrlMeansTheDefaultSqliteFile() {
    for (String raw : new String[] {null, "", "   "}) {
      DatabaseUrl url = DatabaseUrl.parse(raw);
      assertThat(url.kind()).as("%s", raw).isEqualTo(DatabaseUrl.Kind.SQLITE);
      assertThat(url.sqlitePath()).as("%s", raw).contains(Path.of(DatabaseUrl.DEFAULT_SQLITE_PATH));
    }
    assertThat(DbConfig.fromEnv(Map.of()).redactedUrl()).contains(DatabaseUrl.DEFAULT_SQLITE_PATH);
  }

  @Test
  void rejectsAnUnknownSchemeNamingItAndTheAcceptedForms() {
    assertUrlProblem("mysql://u@h:3306/db", "mysql");
    assertUrlProblem("mongodb://h/db", "mongodb");
  }

  @Test
  void rejectsAMissingHostNamingItAndTheAcceptedForms() {
    assertUrlProblem("postgres://:5432/db", "host");
    assertUrlProblem("postgresql:///db", "host");
    assertUrlProblem("jdbc:postgresql:db", "host");
  }

  @Test
  void rejectsABadPortNamingItAndTheAcceptedForms() {
    assertUrlProblem("postgres://h:99999/db", "port");
    assertUrlProblem("postgres://h:abc/db", "port");
    assertUrlProblem("postgres://h:0/db", "port");
  }

  @Test
  void rejectsAnUnknownQueryOptionNamingItAndTheAcceptedForms() {
    assertUrlProblem("postgres://h/db?foo=1", "foo");
    assertUrlProblem("jdbc:postgresql://h/db?sslmode=require&bogus=2", "bogus");
    assertUrlProblem("sqlite:x.db?mode=ro", "mode");
  }

  @Test
  void builderAndEnvironmentRejectAMalformedUrlAsParseDoes() {
    assertThatThrownBy(() -> DbConfig.builder().url("postgres://h:99999/db"))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DATABASE_URL", "postgres://:5432/db")))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("host");
  }

  // ---- no password anywhere ----

  @Test
  void neverShowsThePasswordInAnErrorMessage() {
    List<String> bad =
        List.of(
            "postgres://u:hunter2secret@h:99999/db",
            "postgres://u:hunter2secret@h:abc/db",
            "postgres://u:hunter2secret@:5432/db",
            "postgres://u:hunter2secret@h/db?foo=1",
            "postgresql://u:hunter2secret@h/db?sslmode=require&bogus=1",
            "jdbc:postgresql://h/db?password=hunter2secret&bogus=1",
            "mysql://u:hunter2secret@h/db",
            "postgres://u:hunter2secret@h/db%zz",
            // characters that should have been percent-encoded must not split the secret
            "postgres://u:hunter2/secret@h:99999/db",
            "postgres://u:hunter2@secret@h:99999/db",
            "postgres://u:hunter2?secret@h:abc/db",
            "postgres://u:hunter2#secret@h/db?bogus=1");
    for (String raw : bad) {
      String secret =
          raw.contains("://u:")
              ? raw.substring(raw.indexOf("://u:") + 5, raw.lastIndexOf('@'))
              : "hunter2secret";
      DbConfigException e =
          catchThrowableOfType(DbConfigException.class, () -> DatabaseUrl.parse(raw));
      assertThat(e).as(raw).isNotNull();
      assertThat(e.getMessage()).as(raw).doesNotContain("hunter2secret").doesNotContain(secret);
      DbConfigException viaBuilder =
          catchThrowableOfType(DbConfigException.class, () -> DbProviders.open(raw));
      assertThat(viaBuilder).as(raw).isNotNull();
      assertThat(viaBuilder.getMessage())
          .as(raw)
          .doesNotContain("hunter2secret")
          .doesNotContain(secret);
    }
  }

  @Test
  void neverShowsThePasswordInToStringOrRedactedForms() {
    String raw = "postgres://alice:s3cr%40t-pw@db.example.com:5432/app?sslmode=require";
    DatabaseUrl url = DatabaseUrl.parse(raw);
    DbConfig config = DbConfig.builder().url(raw).build();
    DbConfig fromEnv = DbConfig.fromEnv(Map.of("DATABASE_URL", raw));
    String jdbc = "jdbc:postgresql://db.example.com/app?user=alice&password=s3cr%40t-pw";
    DbConfig jdbcConfig = DbConfig.builder().url(jdbc).build();

    assertThat(url.password()).contains("s3cr@t-pw");
    for (String shown :
        List.of(
            url.toString(),
            url.redacted(),
            config.toString(),
            config.redactedUrl(),
            fromEnv.toString(),
            fromEnv.redactedUrl(),
            DatabaseUrl.parse(jdbc).toString(),
            jdbcConfig.toString(),
            jdbcConfig.redactedUrl(),
            DatabaseUrl.redact(raw),
            DatabaseUrl.redact(jdbc))) {
      assertThat(shown).doesNotContain("s3cr").contains("db.example.com");
    }
  }

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

  // ---- settings ----

  @Test
  void configDefaultsAreTheDocumentedOnes() {
    DbConfig config = DbConfig.builder().build();

    assertThat(config.statementTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.mutationsEnabled()).isTrue();
    assertThat(config.migrateOnOpen()).isTrue();
    assertThat(config.poolSize()).isEmpty();
    assertThat(config.tenant()).isEmpty();
    assertThat(config.vectorDimension()).isEqualTo(1536);
    assertThat(config.vectorMetric()).isEqualTo(DistanceMetric.COSINE);
    assertThat(config.vectorIndex()).isEqualTo(VectorIndexType.HNSW);
    assertThat(config.vectorEfSearch()).isEqualTo(40);
    assertThat(config.vectorIvfflatLists()).isEqualTo(100);
    assertThat(config.vectorIvfflatProbes()).isEqualTo(10);
    assertThat(config.refreshReuseGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.refreshTokenTtl()).isEqualTo(Duration.ofDays(30));
    assertThat(config.redactedUrl()).isEqualTo("sqlite:" + DatabaseUrl.DEFAULT_SQLITE_PATH);
    assertThat(DbConfig.fromEnv(Map.of()).toString()).isEqualTo(config.toString());
  }

  @Test
  void readsEverySettingFromTheEnvironment() {
    DbConfig config =
        DbConfig.fromEnv(
            Map.of(
                "DATABASE_URL", "postgres://u:pw@h/db",
                "DB_POOL_SIZE", "7",
                "DB_STATEMENT_TIMEOUT", "5s",
                "DB_MIGRATE_ON_OPEN", "false",
                "DB_TENANT", "acme_1",
                "DB_VECTOR_DIMENSION", "8",
                "DB_VECTOR_METRIC", "l2"));

    assertThat(config.url()).isEqualTo("postgres://u:pw@h/db");
    assertThat(config.poolSize()).isEqualTo(OptionalInt.of(7));
    assertThat(config.statementTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.mutationsEnabled()).isTrue();
    assertThat(config.migrateOnOpen()).isFalse();
    assertThat(config.tenant()).contains("acme_1");
    assertThat(config.vectorDimension()).isEqualTo(8);
    assertThat(config.vectorMetric()).isEqualTo(DistanceMetric.L2);

    assertThat(timeoutFromEnv("PT2S")).isEqualTo(Duration.ofSeconds(2));
    assertThat(timeoutFromEnv("750ms")).isEqualTo(Duration.ofMillis(750));
    assertThat(timeoutFromEnv("2m")).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void readsTheVectorIndexSettingsFromTheEnvironment() {
    DbConfig config =
        DbConfig.fromEnv(
            Map.of(
                "DB_VECTOR_INDEX", "IVFFlat",
                "DB_VECTOR_EF_SEARCH", "64",
                "DB_VECTOR_LISTS", "250",
                "DB_VECTOR_PROBES", "16"));

    assertThat(config.vectorIndex()).isEqualTo(VectorIndexType.IVFFLAT);
    assertThat(config.vectorEfSearch()).isEqualTo(64);
    assertThat(config.vectorIvfflatLists()).isEqualTo(250);
    assertThat(config.vectorIvfflatProbes()).isEqualTo(16);
    assertThat(DbConfig.fromEnv(Map.of("DB_VECTOR_INDEX", "none")).vectorIndex())
        .isEqualTo(VectorIndexType.NONE);
    assertThat(config.toBuilder().build().toString()).isEqualTo(config.toString());
  }

  @Test
  void builderSettingsAreKeptAsGiven() {
    DbConfig config =
        DbConfig.builder()
            .url("sqlite:some.db")
            .poolSize(3)
            .statementTimeout(Duration.ofMillis(1500))
            .tenant("team_a")
            .vectorDimension(16)
            .build();

    assertThat(config.url()).isEqualTo("sqlite:some.db");
    assertThat(config.poolSize()).isEqualTo(OptionalInt.of(3));
    assertThat(config.statementTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.tenant()).contains("team_a");
    assertThat(config.vectorDimension()).isEqualTo(16);

    DbConfig variant = config.toBuilder().poolSize(5).build();
    assertThat(variant.poolSize()).isEqualTo(OptionalInt.of(5));
    assertThat(variant.tenant()).contains("team_a");
    assertThat(config.poolSize()).as("the original is immutable").isEqualTo(OptionalInt.of(3));
  }

  @Test
  void disablingMutationsAlsoDisablesMigrateOnOpen() {
    DbConfig fromBuilder = DbConfig.builder().migrateOnOpen(true).mutationsEnabled(false).build();
    DbConfig fromEnv =
        DbConfig.fromEnv(Map.of("ENABLE_MUTATIONS", "false", "DB_MIGRATE_ON_OPEN", "true"));

    for (DbConfig config : List.of(fromBuilder, fromEnv)) {
      assertThat(config.mutationsEnabled()).isFalse();
      assertThat(config.migrateOnOpen()).isFalse();
    }
    assertThat(DbConfig.fromEnv(Map.of("ENABLE_MUTATIONS", "true")).migrateOnOpen()).isTrue();
  }

  @Test
  void rejectsABadEnvironmentValueNamingTheVariable() {
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("DB_POOL_SIZE", "lots");
    bad.put("DB_STATEMENT_TIMEOUT", "soon");
    bad.put("ENABLE_MUTATIONS", "maybe");
    bad.put("DB_MIGRATE_ON_OPEN", "sometimes");
    bad.put("DB_TENANT", "Bad-Name");
    bad.put("DB_VECTOR_DIMENSION", "-1");
    bad.put("DB_VECTOR_METRIC", "manhattan");
    bad.put("DB_VECTOR_INDEX", "lsh");
    bad.put("DB_VECTOR_EF_SEARCH", "0");
    bad.put("DB_VECTOR_LISTS", "32769");
    bad.put("DB_VECTOR_PROBES", "few");
    bad.put("DB_REFRESH_REUSE_GRACE", "-PT1S");
    bad.put("DB_JOURNAL_QUOTA_BYTES", "many");
    bad.put("DATABASE_URL", "postgres://h:99999/db");

    bad.forEach(
        (name, value) ->
            assertThatThrownBy(() -> DbConfig.fromEnv(Map.of(name, value)))
                .as("%s=%s", name, value)
                .isInstanceOf(DbConfigException.class)
                .hasMessageContaining(name));
    assertThatThrownBy(() -> DbConfig.fromEnv(Map.of("DB_POOL_SIZE", "0")))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("DB_POOL_SIZE")
        .hasMessageContaining("0");
  }

  @Test
  void builderSettersRejectABadValueNamingTheSetting() {
    assertSettingRejected(() -> DbConfig.builder().poolSize(0), "pool size");
    assertSettingRejected(() -> DbConfig.builder().poolSize(1001), "pool size");
    assertSettingRejected(() -> DbConfig.builder().statementTimeout(Duration.ZERO), "timeout");
    assertSettingRejected(() -> DbConfig.builder().statementTimeout(null), "timeout");
    assertSettingRejected(
        () -> DbConfig.builder().refreshReuseGrace(Duration.ofSeconds(-1)), "grace");
    assertSettingRejected(() -> DbConfig.builder().pastDueGrace(Duration.ofSeconds(-1)), "grace");
    assertSettingRejected(() -> DbConfig.builder().tenant("Bad-Name"), "tenant");
    assertSettingRejected(() -> DbConfig.builder().tenant("1abc"), "tenant");
    assertSettingRejected(() -> DbConfig.builder().vectorDimension(0), "dimension");
    assertSettingRejected(() -> DbConfig.builder().journalQuotaBytes(0), "quota");
    assertSettingRejected(() -> DbConfig.builder().refreshTokenTtl(Duration.ZERO), "ttl");
    assertSettingRejected(() -> DbConfig.builder().clock(null), "clock");
    assertSettingRejected(() -> DbConfig.builder().embeddingModel(" "), "model");
    assertSettingRejected(() -> DbConfig.builder().vectorIndex(null), "index");
    assertSettingRejected(() -> DbConfig.builder().vectorEfSearch(1001), "ef_search");
    assertSettingRejected(() -> DbConfig.builder().vectorIvfflatLists(0), "lists");
    assertSettingRejected(() -> DbConfig.builder().vectorIvfflatProbes(0), "probes");
  }

  @Test
  void aTenantIsNeverIgnoredSilently() {
    // a tenant that was never created is an error, never the database's shared data; a backend
    // without tenants refuses the setting
    assertThatThrownBy(() -> fixture().openFresh(b -> b.tenant("acme")))
        .isInstanceOfAny(DbNotFoundException.class, DbConfigException.class)
        .hasMessageContaining("tenant");
  }

  @Test
  void buildRejectsAPoolForAnInMemoryDatabase() {
    // one connection is one in-memory database: a larger pool would split the data
    assertThatThrownBy(() -> DbConfig.builder().url("sqlite::memory:").poolSize(2).build())
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("pool size");
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
  void refusesAUrlNoFactoryClaimsNamingTheAcceptedFormsWithoutThePassword() {
    DbConfigException e =
        catchThrowableOfType(
            DbConfigException.class, () -> DbProviders.open("mysql://u:secret@h/db"));

    assertThat(e).isNotNull();
    assertThat(e.getMessage())
        .doesNotContain("secret")
        .contains("mysql")
        .contains("postgres://")
        .contains("sqlite:");
  }

  @Test
  void namesTheModuleToAddWhenNoFactoryClaimsAKnownUrl() {
    Map<String, String> urls =
        Map.of(
            "postgres://u:secret@h:5432/db", "db-postgres",
            "sqlite:unclaimed/never-created.db", "db-sqlite");
    int refused = 0;
    for (Map.Entry<String, String> e : urls.entrySet()) {
      DbConfigException problem =
          catchThrowableOfType(DbConfigException.class, () -> DbProviders.factoryFor(e.getKey()));
      if (problem != null) {
        refused++;
        assertThat(problem.getMessage())
            .as(e.getKey())
            .contains(e.getValue())
            .doesNotContain("secret");
      }
    }
    assumeTrue(refused > 0, "both built-in backends are on the class path");
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

  private static Duration timeoutFromEnv(String value) {
    return DbConfig.fromEnv(Map.of("DB_STATEMENT_TIMEOUT", value)).statementTimeout();
  }

  private static void assertUrlProblem(String raw, String problem) {
    for (ThrowingCallable call :
        List.<ThrowingCallable>of(() -> DatabaseUrl.parse(raw), () -> DbProviders.open(raw))) {
      assertThatThrownBy(call)
          .as(raw)
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining(problem)
          .hasMessageContaining("postgres://")
          .hasMessageContaining("sqlite:")
          .hasMessageContaining("file:");
    }
  }

  private static void assertSettingRejected(ThrowingCallable call, String setting) {
    assertThatThrownBy(call).isInstanceOf(DbConfigException.class).hasMessageContaining(setting);
  }
}
