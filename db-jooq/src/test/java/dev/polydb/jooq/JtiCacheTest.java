package dev.polydb.jooq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The positive cache's answers and its bound, which is kept on writes. */
class JtiCacheTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private static JtiCache cache(int size) {
    return new JtiCache(
        DbConfig.builder()
            .url("sqlite::memory:")
            .jtiCacheSize(size)
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .build());
  }

  @Test
  void aRevocationIsAnsweredUntilItExpiresOnly() {
    JtiCache cache = cache(10);
    cache.revoked("live", NOW.plusSeconds(60));
    cache.revoked("expired", NOW.minusMillis(1));
    assertThat(cache.lookup("live")).contains(true);
    assertThat(cache.lookup("expired")).isEmpty();
    assertThat(cache.lookup("unknown")).isEqualTo(Optional.empty());
  }

  @Test
  void pastItsSizeTheEntriesNearestToExpiryGoFirst() {
    JtiCache cache = cache(3);
    for (int i = 1; i <= 5; i++) {
      cache.revoked("jti-" + i, NOW.plus(Duration.ofMinutes(i)));
    }
    // the two that expire first made room; the rest still answer
    assertThat(cache.lookup("jti-1")).isEmpty();
    assertThat(cache.lookup("jti-2")).isEmpty();
    assertThat(cache.lookup("jti-3")).contains(true);
    assertThat(cache.lookup("jti-4")).contains(true);
    assertThat(cache.lookup("jti-5")).contains(true);
  }
}
