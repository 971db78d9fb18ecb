package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
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

    assertThat(shown).doesNotContain(":pw@").contains("db.example.com");
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

  /** The public, no-argument accessors, which together are the configuration. */
  private static List<Method> accessors() {
    List<Method> accessors = new ArrayList<>();
    for (Method m : DbConfig.class.getDeclaredMethods()) {
      if (Modifier.isPublic(m.getModifiers())
          && !Modifier.isStatic(m.getModifiers())
          && m.getParameterCount() == 0
          && !List.of("toBuilder", "toString", "hashCode", "redactedUrl").contains(m.getName())) {
        accessors.add(m);
      }
    }
    return accessors;
  }
}
