package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §2 the settings: defaults, the environment, the builder, and the values each refuses. */
class DbConfigSettingsTest {

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
    assertThat(config.vectorEfSearch()).isEqualTo(100);
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
  void buildRejectsAPoolForAnInMemoryDatabase() {
    // one connection is one in-memory database: a larger pool would split the data
    assertThatThrownBy(() -> DbConfig.builder().url("sqlite::memory:").poolSize(2).build())
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("pool size");
  }

  private static Duration timeoutFromEnv(String value) {
    return DbConfig.fromEnv(Map.of("DB_STATEMENT_TIMEOUT", value)).statementTimeout();
  }

  private static void assertSettingRejected(ThrowingCallable call, String setting) {
    assertThatThrownBy(call).isInstanceOf(DbConfigException.class).hasMessageContaining(setting);
  }
}
