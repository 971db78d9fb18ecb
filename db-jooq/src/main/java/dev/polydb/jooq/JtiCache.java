package dev.polydb.jooq;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.polydb.api.DbConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-process cache in front of revoked JWT ids. A revocation is permanent until its expiry, so
 * a positive answer is kept until then with no staleness. A negative answer can go stale the moment
 * another process revokes, so it is cached only when {@link DbConfig#jtiNegativeCacheTtl()} is set,
 * and for that long. Both read the configured clock.
 */
final class JtiCache {
  record Revocation(Instant expiresAt) {}

  private final Clock clock;
  private final Cache<String, Revocation> revoked;
  private final Cache<String, Boolean> notRevoked;

  /** Moves on every revocation this process makes, so a racing "not revoked" read is not cached. */
  private final AtomicLong revocations = new AtomicLong();

  JtiCache(DbConfig config) {
    this.clock = config.clock();
    Ticker ticker = () -> clock.millis() * 1_000_000L;
    this.revoked =
        Caffeine.newBuilder()
            .ticker(ticker)
            .maximumSize(config.jtiCacheSize())
            .expireAfter(
                new Expiry<String, Revocation>() {
                  @Override
                  public long expireAfterCreate(String key, Revocation value, long currentTime) {
                    return Math.max(0, value.expiresAt().toEpochMilli() - clock.millis())
                        * 1_000_000L;
                  }

                  @Override
                  public long expireAfterUpdate(
                      String key, Revocation value, long currentTime, long currentDuration) {
                    return currentDuration;
                  }

                  @Override
                  public long expireAfterRead(
                      String key, Revocation value, long currentTime, long currentDuration) {
                    return currentDuration;
                  }
                })
            .build();
    Duration ttl = config.jtiNegativeCacheTtl();
    this.notRevoked =
        ttl.isZero()
            ? null
            : Caffeine.newBuilder()
                .ticker(ticker)
                .maximumSize(config.jtiCacheSize())
                .expireAfterWrite(ttl)
                .<String, Boolean>build();
  }

  /** The cached answer, if any: true (revoked), false (recently not revoked). */
  Optional<Boolean> lookup(String jti) {
    Revocation r = revoked.getIfPresent(jti);
    if (r != null && clock.instant().isBefore(r.expiresAt())) {
      return Optional.of(true);
    }
    if (notRevoked != null && notRevoked.getIfPresent(jti) != null) {
      return Optional.of(false);
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
    if (clock.instant().isBefore(expiresAt)) {
      revoked.put(jti, new Revocation(expiresAt));
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
