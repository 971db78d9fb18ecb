package dev.polydb.jooq;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.polydb.api.DbConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-process cache in front of revoked JWT ids. A revocation is permanent until its expiry, so
 * a positive answer is kept until then with no staleness. A negative answer can go stale the moment
 * another process revokes, so it is cached only when {@link DbConfig#jtiNegativeCacheTtl()} is set,
 * and for that long. Both read the configured clock.
 *
 * <p>Positive answers sit in a plain concurrent map from id to expiry, read with one lookup and one
 * clock read and nothing else: the check runs on every authenticated request, and Caffeine's
 * bookkeeping on reads (a read buffer drained now and then by the reading thread's hand-off) put
 * its 99th percentile above a microsecond (see docs/performance.md). The bound is kept on writes,
 * which are rare: past {@link DbConfig#jtiCacheSize()} entries, the expired ones are dropped, then,
 * if that was not enough, those nearest to expiry. An answer dropped early costs a database read,
 * never a wrong answer.
 */
final class JtiCache {
  private static final Optional<Boolean> REVOKED = Optional.of(true);
  private static final Optional<Boolean> NOT_REVOKED = Optional.of(false);

  private final Clock clock;
  private final int capacity;

  /** Revoked ids and their expiry in epoch milliseconds. */
  private final ConcurrentHashMap<String, Long> revoked = new ConcurrentHashMap<>();

  private final Cache<String, Boolean> notRevoked;

  /** Moves on every revocation this process makes, so a racing "not revoked" read is not cached. */
  private final AtomicLong revocations = new AtomicLong();

  JtiCache(DbConfig config) {
    this.clock = config.clock();
    this.capacity = config.jtiCacheSize();
    Duration ttl = config.jtiNegativeCacheTtl();
    this.notRevoked =
        ttl.isZero()
            ? null
            : Caffeine.newBuilder()
                .ticker(() -> clock.millis() * 1_000_000L)
                .maximumSize(capacity)
                .expireAfterWrite(ttl)
                .<String, Boolean>build();
  }

  /** The cached answer, if any: true (revoked), false (recently not revoked). */
  Optional<Boolean> lookup(String jti) {
    Long expiresAt = revoked.get(jti);
    if (expiresAt != null && clock.millis() < expiresAt) {
      return REVOKED;
    }
    if (notRevoked != null && notRevoked.getIfPresent(jti) != null) {
      return NOT_REVOKED;
    }
    return Optional.empty();
  }

  /** Called before a revocation is written: forgets any "not revoked" answer for the jti. */
  long revoking(String jti) {
    long generation = revocations.incrementAndGet();
    if (notRevoked != null) {
      notRevoked.invalidate(jti);
    }
    return generation;
  }

  /** The generation to pass to {@link #notRevoked} after a read. */
  long generation() {
    return revocations.get();
  }

  void revoked(String jti, Instant expiresAt) {
    if (notRevoked != null) {
      notRevoked.invalidate(jti);
    }
    long now = clock.millis();
    if (now < expiresAt.toEpochMilli()) {
      revoked.put(jti, expiresAt.toEpochMilli());
      if (revoked.size() > capacity) {
        trim(now);
      }
    }
  }

  /** Back within the bound: the expired entries go, then those nearest to expiry. */
  private synchronized void trim(long now) {
    revoked.values().removeIf(expiresAt -> expiresAt <= now);
    int excess = revoked.size() - capacity;
    if (excess > 0) {
      revoked.entrySet().stream()
          .sorted(Map.Entry.comparingByValue())
          .limit(excess)
          .map(Map.Entry::getKey)
          .toList()
          .forEach(revoked::remove);
    }
  }

  /** Caches a "not revoked" answer read at {@code generation}, unless a revocation came since. */
  void notRevoked(String jti, long generation) {
    if (notRevoked != null) {
      notRevoked.put(jti, Boolean.TRUE);
      if (revocations.get() != generation) {
        notRevoked.invalidate(jti);
      }
    }
  }
}
