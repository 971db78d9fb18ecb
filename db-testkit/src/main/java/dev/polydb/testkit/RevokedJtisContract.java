package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.RevokedJtis;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §8 revoked JWT ids: idempotent revocation, cached checks, pruning. */
public abstract class RevokedJtisContract {

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  private RevokedJtis jtis() {
    return fixture().db().jtis();
  }

  private Instant now() {
    return fixture().clock().instant();
  }

  private String newUser(String subject) {
    return fixture().db().users().create("test", subject, UserProfile.EMPTY).id();
  }

  private static void assertRefused(ThrowingCallable call, String field) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo(field));
  }

  @Test
  void unknownJtiIsNotRevoked() {
    assertThat(jtis().isRevoked("never-revoked")).isFalse();
  }

  @Test
  void revokedJtiIsRevoked() {
    jtis().revoke("jti-1", null, now().plus(Duration.ofHours(1)));

    assertThat(jtis().isRevoked("jti-1")).isTrue();
    assertThat(jtis().isRevoked("jti-2")).isFalse();
  }

  @Test
  void revokeIsIdempotentAndKeepsTheFirstExpiry() {
    Instant first = now().plus(Duration.ofMinutes(10));
    Instant later = now().plus(Duration.ofHours(2));

    jtis().revoke("jti-1", null, first);
    jtis().revoke("jti-1", null, later);

    assertThat(jtis().isRevoked("jti-1")).isTrue();
    fixture().clock().advance(Duration.ofMinutes(10).plusSeconds(1));
    assertThat(jtis().isRevoked("jti-1")).isFalse();
    assertThat(jtis().pruneExpired(now())).isEqualTo(1);
  }

  @Test
  void revocationEndsWhenItsExpiryIsReached() {
    jtis().revoke("jti-1", null, now().plus(Duration.ofSeconds(10)));
    assertThat(jtis().isRevoked("jti-1")).isTrue();

    fixture().clock().advance(Duration.ofMillis(9_999));
    assertThat(jtis().isRevoked("jti-1")).isTrue();

    fixture().clock().advance(Duration.ofMillis(1));
    assertThat(jtis().isRevoked("jti-1")).isFalse();
  }

  @Test
  void revokeWithAnExistingUserOrWithoutUser() {
    String userId = newUser("jti-owner");

    jtis().revoke("with-user", userId, now().plus(Duration.ofHours(1)));
    jtis().revoke("without-user", null, now().plus(Duration.ofHours(1)));

    assertThat(jtis().isRevoked("with-user")).isTrue();
    assertThat(jtis().isRevoked("without-user")).isTrue();
  }

  @Test
  void revokeForUnknownUserIsNotFoundAndWritesNothing() {
    assertThatThrownBy(
            () -> jtis().revoke("jti-1", "no-such-user", now().plus(Duration.ofHours(1))))
        .isInstanceOf(DbNotFoundException.class);

    assertThat(jtis().isRevoked("jti-1")).isFalse();
  }

  @Test
  void revocationThroughAnotherProviderIsSeenAfterANegativeAnswer() {
    assumeTrue(fixture().supports(Feature.SHARED_DATABASE), "needs a shared database");
    DbProvider other = fixture().open(b -> {});

    assertThat(other.jtis().isRevoked("jti-1")).isFalse();
    jtis().revoke("jti-1", null, now().plus(Duration.ofHours(1)));

    assertThat(other.jtis().isRevoked("jti-1")).isTrue();
  }

  @Test
  void negativeCacheStalenessEndsAfterItsTtlOnTheConfiguredClock() {
    assumeTrue(fixture().supports(Feature.SHARED_DATABASE), "needs a shared database");
    DbProvider cached = fixture().open(b -> b.jtiNegativeCacheTtl(Duration.ofSeconds(30)));

    assertThat(cached.jtis().isRevoked("jti-1")).isFalse();
    jtis().revoke("jti-1", null, now().plus(Duration.ofHours(1)));
    // Inside the TTL the cached "not revoked" may still be served, so only the end is asserted.

    fixture().clock().advance(Duration.ofSeconds(31));
    assertThat(cached.jtis().isRevoked("jti-1")).isTrue();
  }

  @Test
  void aRevocationCommittedByInTransactionIsSeenDespiteACachedNegativeAnswer() {
    DbProvider db = fixture().openFresh(b -> b.jtiNegativeCacheTtl(Duration.ofMinutes(10)));
    String jti = "jti-in-tx";
    assertThat(db.jtis().isRevoked(jti)).isFalse(); // cached "no" for ten minutes
    db.inTransaction(
        tx -> {
          tx.jtis().revoke(jti, null, fixture().clock().instant().plus(Duration.ofHours(1)));
          return null;
        });
    assertThat(db.jtis().isRevoked(jti)).isTrue();
  }

  @Test
  void expiriesAndCutoffsOutsideTheStoredRangeAreRefused() {
    for (Instant bad : DbProviderContract.OUTSIDE_STORED_RANGE) {
      assertRefused(() -> jtis().revoke("jti-1", null, bad), "expiresAt");
      assertRefused(() -> jtis().pruneExpired(bad), "now");
    }
    assertThat(jtis().isRevoked("jti-1")).isFalse();

    // within the range once truncated to milliseconds
    jtis().revoke("jti-1", null, DbProviderContract.LATEST.plusNanos(999_999));
    assertThat(jtis().isRevoked("jti-1")).isTrue();
    assertThat(jtis().pruneExpired(DbProviderContract.EARLIEST)).isZero();
    assertThat(jtis().pruneExpired(DbProviderContract.LATEST)).isEqualTo(1);
  }

  @Test
  void pruneExpiredDeletesExpiredOnesAndKeepsLiveOnes() {
    Instant start = now();
    jtis().revoke("a", null, start.plus(Duration.ofMinutes(1)));
    jtis().revoke("b", null, start.plus(Duration.ofMinutes(2)));
    jtis().revoke("c", null, start.plus(Duration.ofHours(1)));

    fixture().clock().advance(Duration.ofMinutes(2));
    assertThat(jtis().pruneExpired(now())).isEqualTo(2);
    assertThat(jtis().pruneExpired(now())).isZero();
    assertThat(jtis().isRevoked("c")).isTrue();

    assertThat(jtis().pruneExpired(start.plus(Duration.ofHours(1)))).isEqualTo(1);
  }

  @Test
  void aDeletedUsersRevocationsStayUntilTheyExpire() {
    String userId = newUser("jti-owner");
    jtis().revoke("theirs", userId, now().plus(Duration.ofHours(1)));
    jtis().revoke("anonymous", null, now().plus(Duration.ofHours(2)));
    assertThat(jtis().isRevoked("theirs")).isTrue();

    assertThat(fixture().db().users().delete(userId)).isTrue();

    // an application that checks only the JWT id must still refuse the user's unexpired tokens
    assertThat(jtis().isRevoked("theirs")).isTrue();
    assertThat(jtis().isRevoked("anonymous")).isTrue();
    if (fixture().supports(Feature.SHARED_DATABASE)) {
      // stored, not only cached: a provider that never saw the revocation reads it
      DbProvider other = fixture().open(b -> {});
      assertThat(other.jtis().isRevoked("theirs")).isTrue();
    }
    assertThat(jtis().pruneExpired(now().plus(Duration.ofMinutes(90)))).isEqualTo(1);
    assertThat(jtis().pruneExpired(now().plus(Duration.ofDays(1)))).isEqualTo(1);
  }

  @Test
  void invalidJtiIsRefusedNamingJti() {
    Instant expiry = now().plus(Duration.ofHours(1));
    String tooLong = "j".repeat(256);
    for (String bad : new String[] {null, "", "   ", "a\0b", tooLong}) {
      assertRefused(() -> jtis().revoke(bad, null, expiry), "jti");
      assertRefused(() -> jtis().isRevoked(bad), "jti");
    }

    String longest = "j".repeat(255);
    jtis().revoke(longest, null, expiry);
    assertThat(jtis().isRevoked(longest)).isTrue();
  }

  @Test
  void missingExpiryIsRefusedAndWritesNothing() {
    assertRefused(() -> jtis().revoke("jti-1", null, null), "expiresAt");
    assertThatThrownBy(() -> jtis().pruneExpired(null)).isInstanceOf(DbValidationException.class);

    assertThat(jtis().isRevoked("jti-1")).isFalse();
  }
}
