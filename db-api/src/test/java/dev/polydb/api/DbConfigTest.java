package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Copies of a configuration, compared by value, every accessor. */
class DbConfigTest {

  /** Every setting away from its default. */
  private static DbConfig everythingSet() {
    return DbConfig.builder()
        .url("postgres://u:pw@db.example.com:6543/app?sslmode=require")
        .poolSize(7)
        .statementTimeout(Duration.ofMillis(1500))
        .mutationsEnabled(false)
        .migrateOnOpen(false)
        .tenant("acme")
        .mode(BackendMode.POSTGRES)
        .mirrorUrl("postgres://m:mirrorpw@mirror.example.com/app")
        .metrics(new DbMetrics() {})
        .clock(Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC))
        .vectorDimension(8)
        .vectorMetric(DistanceMetric.L2)
        .embeddingModel("model-x")
        .vectorIndex(VectorIndexType.IVFFLAT)
        .vectorEfSearch(64)
        .vectorIvfflatLists(250)
        .vectorIvfflatProbes(16)
        .refreshTokenTtl(Duration.ofDays(7))
        .refreshFamilyLifetime(Duration.ofDays(60))
        .refreshReuseGrace(Duration.ofSeconds(3))
        .pastDueGrace(Duration.ofDays(2))
        .journalQuotaBytes(4096)
        .jtiCacheSize(50)
        .jtiNegativeCacheTtl(Duration.ofSeconds(30))
        .build();
  }

  @Test
  void toBuilderKeepsEverySettingByValue() throws Exception {
    DbConfig original = everythingSet();
    DbConfig copy = original.toBuilder().build();

    List<Method> accessors = accessors();
    assertThat(accessors).hasSizeGreaterThanOrEqualTo(21);
    for (Method m : accessors) {
      assertThat(m.invoke(copy)).as(m.getName()).isEqualTo(m.invoke(original));
    }
    // and away from the defaults, so that a copy that lost a value cannot pass
    DbConfig defaults = DbConfig.builder().build();
    for (Method m : accessors) {
      if (!m.getName().equals("migrateOnOpen")) {
        assertThat(m.invoke(original)).as(m.getName()).isNotEqualTo(m.invoke(defaults));
      }
    }
  }

  @Test
  void reEnablingMutationsOnACopyKeepsMigrateOnOpenOff() {
    DbConfig readOnly = DbConfig.builder().migrateOnOpen(false).mutationsEnabled(false).build();

    DbConfig writable = readOnly.toBuilder().mutationsEnabled(true).build();

    assertThat(writable.mutationsEnabled()).isTrue();
    assertThat(writable.migrateOnOpen()).as("it was turned off on purpose").isFalse();
    DbConfig asked = DbConfig.builder().mutationsEnabled(false).build();
    assertThat(asked.toBuilder().mutationsEnabled(true).build().migrateOnOpen())
        .as("off only because read-only: back on with writes")
        .isTrue();
  }

  @Test
  void toStringShowsEverySettingAndNoPassword() throws Exception {
    DbConfig config = everythingSet();
    String shown = config.toString();

    assertThat(shown)
        .doesNotContain(":pw@")
        .doesNotContain("mirrorpw")
        .contains("db.example.com", "mirror.example.com");
    for (Method m : accessors()) {
      if (!m.getName().equals("url")) {
        assertThat(shown).as(m.getName()).contains(m.getName() + "=");
      }
    }
  }

  @Test
  void theReuseGraceIsTenSecondsByDefault() {
    assertThat(DbConfig.builder().build().refreshReuseGrace()).isEqualTo(Duration.ofSeconds(10));
    assertThat(DbConfig.builder().refreshReuseGrace(Duration.ZERO).build().refreshReuseGrace())
        .isZero();
  }

  @Test
  void dbModeMustAgreeWithTheUrlsItUses() {
    String file = "sqlite:data/app.db";
    String pg = "postgres://app:s3cret@db.example.com/app";
    DbConfig mirror =
        DbConfig.fromEnv(Map.of("DATABASE_URL", file, "DB_MODE", "mirror", "DB_MIRROR_URL", pg));
    assertThat(mirror.mode()).contains(BackendMode.MIRROR);
    assertThat(mirror.mirrorUrl()).contains(pg);
    assertThat(mirror.redactedMirrorUrl().orElseThrow()).doesNotContain("s3cret");
    assertThatThrownBy(() -> DbProviders.open(mirror))
        .as("chosen by DB_MODE, never by the URL's backend")
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("dev.polydb:db-mirror");
    assertThat(DbConfig.fromEnv(Map.of("DB_MODE", "SQLite")).mode()).contains(BackendMode.SQLITE);
    assertThat(DbConfig.fromEnv(Map.of("DATABASE_URL", pg, "DB_MODE", "postgres")).mode())
        .contains(BackendMode.POSTGRES);
    assertThat(DbConfig.fromEnv(Map.of("DATABASE_URL", pg)).mode()).isEmpty();
    // kept while another mode runs, so that switching back is a restart with DB_MODE alone
    assertThat(
            DbConfig.fromEnv(Map.of("DATABASE_URL", file, "DB_MODE", "sqlite", "DB_MIRROR_URL", pg))
                .mirrorUrl())
        .contains(pg);

    Map<Map<String, String>, String> refused = new LinkedHashMap<>();
    refused.put(Map.of("DB_MODE", "both"), "DB_MODE: must be sqlite, postgres or mirror");
    refused.put(Map.of("DATABASE_URL", file, "DB_MODE", "mirror"), "needs DB_MIRROR_URL");
    refused.put(
        Map.of("DATABASE_URL", pg, "DB_MODE", "mirror", "DB_MIRROR_URL", pg),
        "needs DATABASE_URL to be a SQLite URL");
    refused.put(Map.of("DATABASE_URL", pg, "DB_MODE", "sqlite"), "to be a SQLite URL");
    refused.put(Map.of("DATABASE_URL", file, "DB_MODE", "postgres"), "to be a Postgres URL");
    refused.put(Map.of("DB_MODE", "postgres"), "to be a Postgres URL");
    refused.put(
        Map.of("DATABASE_URL", "sqlite::memory:", "DB_MODE", "mirror", "DB_MIRROR_URL", pg),
        "needs a SQLite file");
    refused.put(
        Map.of(
            "DATABASE_URL",
            file,
            "DB_MODE",
            "mirror",
            "DB_MIRROR_URL",
            pg,
            "ENABLE_MUTATIONS",
            "false"),
        "use DB_MODE=sqlite");
    refused.put(
        Map.of("DATABASE_URL", file, "DB_MODE", "mirror", "DB_MIRROR_URL", pg, "DB_TENANT", "acme"),
        "does not mirror tenants");
    refused.put(
        Map.of("DB_MIRROR_URL", "sqlite:other.db"), "DB_MIRROR_URL: the mirror must be a Postgres");
    refused.put(Map.of("DB_MIRROR_URL", "mysql://u:s3cret@h/db"), "DB_MIRROR_URL");
    refused.forEach(
        (env, message) ->
            assertThatThrownBy(() -> DbConfig.fromEnv(env))
                .as("%s", env)
                .isInstanceOf(DbConfigException.class)
                .hasMessageContaining(message)
                .message()
                .doesNotContain("s3cret"));
  }

  @Test
  void everyVariableIsReadAndLandsOnItsSetting() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DATABASE_URL", "postgres://u:pw@db.example.com:6543/app?sslmode=require");
    env.put("DB_POOL_SIZE", "7");
    env.put("DB_STATEMENT_TIMEOUT", "1500ms");
    env.put("ENABLE_MUTATIONS", "false");
    env.put("DB_MIGRATE_ON_OPEN", "false");
    env.put("DB_TENANT", "acme");
    env.put("DB_MODE", "postgres");
    env.put("DB_MIRROR_URL", "postgres://m:mirrorpw@mirror.example.com/app");
    env.put("DB_VECTOR_DIMENSION", "8");
    env.put("DB_VECTOR_METRIC", "l2");
    env.put("DB_EMBEDDING_MODEL", "model-x");
    env.put("DB_VECTOR_INDEX", "ivfflat");
    env.put("DB_VECTOR_EF_SEARCH", "64");
    env.put("DB_VECTOR_LISTS", "250");
    env.put("DB_VECTOR_PROBES", "16");
    env.put("DB_REFRESH_TOKEN_TTL", "7d");
    env.put("DB_REFRESH_FAMILY_LIFETIME", "P60D");
    env.put("DB_REFRESH_REUSE_GRACE", "3s");
    env.put("DB_PAST_DUE_GRACE", "48h");
    env.put("DB_JOURNAL_QUOTA_BYTES", "4096");
    env.put("DB_JTI_CACHE_SIZE", "50");
    env.put("DB_JTI_NEGATIVE_CACHE_TTL", "PT30S");
    List<String> asked = new ArrayList<>();

    DbConfig read =
        DbConfig.builder()
            .fromLookup(
                name -> {
                  asked.add(name);
                  return env.get(name);
                })
            .build();

    assertThat(asked)
        .as("every variable read, none unknown to this test")
        .isEqualTo(List.copyOf(env.keySet()));
    DbConfig expected = everythingSet();
    for (Method m : accessors()) {
      if (!List.of("clock", "metrics").contains(m.getName())) { // objects, not variables
        assertThat(m.invoke(read)).as(m.getName()).isEqualTo(m.invoke(expected));
      }
    }
  }

  @Test
  void settingsThatContradictEachOtherAreRefusedNamingBoth() {
    assertThatThrownBy(
            () ->
                DbConfig.fromEnv(
                    Map.of("DB_REFRESH_TOKEN_TTL", "30d", "DB_REFRESH_FAMILY_LIFETIME", "1d")))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("DB_REFRESH_TOKEN_TTL (PT720H) is longer than")
        .hasMessageContaining("DB_REFRESH_FAMILY_LIFETIME (PT24H)");
    assertThat(
            DbConfig.fromEnv(
                    Map.of("DB_REFRESH_TOKEN_TTL", "1d", "DB_REFRESH_FAMILY_LIFETIME", "1d"))
                .refreshTokenTtl())
        .as("equal is fine")
        .hasDays(1);

    assertThatThrownBy(
            () ->
                DbConfig.fromEnv(
                    Map.of(
                        "DB_VECTOR_INDEX",
                        "ivfflat",
                        "DB_VECTOR_LISTS",
                        "8",
                        "DB_VECTOR_PROBES",
                        "9")))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("DB_VECTOR_PROBES (9) is above DB_VECTOR_LISTS (8)");
    assertThat(
            DbConfig.fromEnv(Map.of("DB_VECTOR_LISTS", "8", "DB_VECTOR_PROBES", "9")).vectorIndex())
        .as("probes and lists only matter to IVFFlat")
        .isEqualTo(VectorIndexType.HNSW);

    for (String index : List.of("hnsw", "ivfflat")) {
      assertThatThrownBy(
              () ->
                  DbConfig.fromEnv(Map.of("DB_VECTOR_INDEX", index, "DB_VECTOR_DIMENSION", "4001")))
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining("DB_VECTOR_INDEX=" + index + " cannot index 4001 dimensions")
          .hasMessageContaining("DB_VECTOR_INDEX=none");
    }
    assertThat(
            DbConfig.fromEnv(Map.of("DB_VECTOR_INDEX", "hnsw", "DB_VECTOR_DIMENSION", "4000"))
                .vectorDimension())
        .isEqualTo(4000);
    assertThat(DbConfig.fromEnv(Map.of("DB_VECTOR_DIMENSION", "8192")).vectorIndex())
        .as("the default index, not asked for, gives way to exact search")
        .isEqualTo(VectorIndexType.HNSW);
    assertThat(
            DbConfig.fromEnv(Map.of("DB_VECTOR_INDEX", "none", "DB_VECTOR_DIMENSION", "8192"))
                .vectorDimension())
        .isEqualTo(8192);
  }

  /** The public, no-argument accessors, which together are the configuration. */
  private static List<Method> accessors() {
    List<Method> accessors = new ArrayList<>();
    for (Method m : DbConfig.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers())
          && !Modifier.isStatic(m.getModifiers())
          && m.getParameterCount() == 0
          && !List.of("toBuilder", "toString", "hashCode", "redactedUrl", "redactedMirrorUrl")
              .contains(m.getName())) {
        accessors.add(m);
      }
    }
    return accessors;
  }
}
