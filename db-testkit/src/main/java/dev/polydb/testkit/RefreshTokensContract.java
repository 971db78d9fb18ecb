package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.RefreshToken;
import dev.polydb.api.RefreshTokens;
import dev.polydb.api.RotationResult;
import dev.polydb.api.RotationResult.Invalid;
import dev.polydb.api.RotationResult.Reason;
import dev.polydb.api.RotationResult.ReuseDetected;
import dev.polydb.api.RotationResult.Rotated;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §5 refresh tokens: issue, find, rotation, reuse detection, revocation, pruning. */
public abstract class RefreshTokensContract {

  private static final String TOKEN = "[A-Za-z0-9_-]{43}";
  private static final String UUID_V7 =
      "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  private RefreshTokens tokens() {
    return fixture().db().refreshTokens();
  }

  private Instant now() {
    return fixture().clock().instant();
  }

  private Duration advance(Duration step) {
    fixture().clock().advance(step);
    return step;
  }

  private static String user(DbProvider db, String subject) {
    return db.users().create("google", subject, UserProfile.EMPTY).id();
  }

  private String user(String subject) {
    return user(fixture().db(), subject);
  }

  private static IssuedToken rotated(RotationResult result) {
    if (result instanceof Rotated r) {
      return r.next();
    }
    return fail("expected Rotated but was %s", result);
  }

  @Test
  void issueReturnsUrlSafeTokenOf256RandomBits() {
    String userId = user("ada");

    IssuedToken issued = tokens().issue(userId);

    assertThat(issued.token()).matches(TOKEN);
    assertThat(Base64.getUrlDecoder().decode(issued.token())).hasSize(32);
    RefreshToken record = issued.record();
    assertThat(record.id()).matches(UUID_V7);
    assertThat(record.userId()).isEqualTo(userId);
    assertThat(record.familyId()).isNotBlank();
    assertThat(record.parentId()).isEmpty();
    assertThat(record.fingerprint()).isEmpty();
    assertThat(record.issuedAt()).isEqualTo(now());
    assertThat(record.expiresAt()).isEqualTo(now().plus(Duration.ofDays(30)));
    assertThat(record.familyExpiresAt()).isEqualTo(now().plus(Duration.ofDays(90)));
    assertThat(record.rotatedAt()).isEmpty();
    assertThat(record.revokedAt()).isEmpty();
  }

  @Test
  void issuedTokensAreDistinctAndEachStartsAFamily() {
    String userId = user("ada");
    Set<String> secrets = new HashSet<>();
    Set<String> ids = new HashSet<>();
    Set<String> families = new HashSet<>();

    for (int i = 0; i < 50; i++) {
      IssuedToken issued = tokens().issue(userId);
      secrets.add(issued.token());
      ids.add(issued.record().id());
      families.add(issued.record().familyId());
    }

    assertThat(secrets).hasSize(50);
    assertThat(ids).hasSize(50);
    assertThat(families).hasSize(50);
  }

  @Test
  void findValidReturnsTheStoredToken() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId, Duration.ofHours(2), "device-1");

    assertThat(tokens().findValid(issued.token())).contains(issued.record());
    assertThat(issued.record().fingerprint()).contains("device-1");
  }

  @Test
  void findValidOfUnknownTokenIsEmpty() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId);
    String other = issued.token().charAt(0) == 'A' ? "B" : "A";

    assertThat(tokens().findValid(other + issued.token().substring(1))).isEmpty();
    assertThat(tokens().findValid("A".repeat(43))).isEmpty();
    assertThat(tokens().findValid(issued.record().id())).as("the id is not the secret").isEmpty();
  }

  @Test
  void findValidRefusesBlankOrOverLongTokens() {
    assertThatThrownBy(() -> tokens().findValid(" ")).isInstanceOf(DbValidationException.class);
    // The contract sets no exact limit for a presented token (issued ones have 43 characters).
    assertThatThrownBy(() -> tokens().findValid("t".repeat(10_000)))
        .isInstanceOf(DbValidationException.class);
    assertThatThrownBy(() -> tokens().rotate(" ", "user"))
        .isInstanceOf(DbValidationException.class);
    assertThatThrownBy(() -> tokens().revoke("")).isInstanceOf(DbValidationException.class);
  }

  @Test
  void tokenExpiresAfterDefaultTtlOf30Days() {
    IssuedToken issued = tokens().issue(user("ada"));

    advance(Duration.ofDays(30).minusMillis(1));
    assertThat(tokens().findValid(issued.token())).isPresent();
    advance(Duration.ofMillis(1));
    assertThat(tokens().findValid(issued.token())).isEmpty();
  }

  @Test
  void customTtlIsHonoured() {
    IssuedToken issued = tokens().issue(user("ada"), Duration.ofMinutes(15), null);

    assertThat(issued.record().expiresAt()).isEqualTo(now().plus(Duration.ofMinutes(15)));
    advance(Duration.ofMinutes(15).minusMillis(1));
    assertThat(tokens().findValid(issued.token())).isPresent();
    advance(Duration.ofMillis(1));
    assertThat(tokens().findValid(issued.token())).isEmpty();
  }

  @Test
  void issueRefusesNonPositiveTtl() {
    String userId = user("ada");

    for (Duration ttl : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1)}) {
      assertThatThrownBy(() -> tokens().issue(userId, ttl, null))
          .isInstanceOfSatisfying(
              DbValidationException.class, e -> assertThat(e.field()).isEqualTo("ttl"));
    }
  }

  @Test
  void issueForUnknownUserIsNotFound() {
    assertThatThrownBy(() -> tokens().issue(UUID.randomUUID().toString()))
        .isInstanceOf(DbNotFoundException.class);
  }

  @Test
  void rotateIssuesNewTokenInTheSameFamily() {
    String userId = user("ada");
    IssuedToken first = tokens().issue(userId, Duration.ofHours(6), "device-1");
    advance(Duration.ofHours(1));

    IssuedToken next = rotated(tokens().rotate(first.token(), userId));

    assertThat(next.token()).matches(TOKEN).isNotEqualTo(first.token());
    RefreshToken child = next.record();
    assertThat(child.id()).matches(UUID_V7).isNotEqualTo(first.record().id());
    assertThat(child.userId()).isEqualTo(userId);
    assertThat(child.familyId()).isEqualTo(first.record().familyId());
    assertThat(child.parentId()).contains(first.record().id());
    assertThat(child.fingerprint()).contains("device-1");
    assertThat(child.issuedAt()).isEqualTo(now());
    assertThat(child.expiresAt())
        .as("keeps the parent's TTL")
        .isEqualTo(now().plus(Duration.ofHours(6)));
    assertThat(child.familyExpiresAt()).isEqualTo(first.record().familyExpiresAt());
    assertThat(tokens().findValid(next.token())).contains(child);
    assertThat(tokens().findValid(first.token())).isEmpty();
  }

  @Test
  void rotationNeverExtendsTheFamilyLifetime() {
    DbProvider db =
        fixture()
            .openFresh(
                b ->
                    b.refreshFamilyLifetime(Duration.ofHours(10))
                        .refreshTokenTtl(Duration.ofHours(4)));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    Instant start = now();
    Instant familyEnd = start.plus(Duration.ofHours(10));

    IssuedToken t0 = tokens.issue(userId, Duration.ofHours(4), null);
    assertThat(t0.record().familyExpiresAt()).isEqualTo(familyEnd);
    assertThat(t0.record().expiresAt()).isEqualTo(start.plus(Duration.ofHours(4)));
    advance(Duration.ofHours(3));
    IssuedToken t1 = rotated(tokens.rotate(t0.token(), userId));
    assertThat(t1.record().expiresAt()).isEqualTo(start.plus(Duration.ofHours(7)));
    advance(Duration.ofHours(3));
    IssuedToken t2 = rotated(tokens.rotate(t1.token(), userId));
    assertThat(t2.record().expiresAt()).as("capped by the family").isEqualTo(familyEnd);
    advance(Duration.ofHours(3));
    IssuedToken t3 = rotated(tokens.rotate(t2.token(), userId));
    assertThat(t3.record().expiresAt()).isEqualTo(familyEnd);
    assertThat(t3.record().familyExpiresAt()).isEqualTo(familyEnd);

    advance(Duration.ofHours(1));
    assertThat(now()).isEqualTo(familyEnd);
    assertThat(tokens.findValid(t3.token())).isEmpty();
    assertThat(tokens.rotate(t3.token(), userId)).isEqualTo(new Invalid(Reason.EXPIRED));
  }

  @Test
  void firstTokenIsCappedByAShortFamilyLifetime() {
    DbProvider db =
        fixture()
            .openFresh(
                b ->
                    b.refreshFamilyLifetime(Duration.ofHours(1))
                        .refreshTokenTtl(Duration.ofHours(1)));
    String userId = user(db, "ada");

    IssuedToken issued = db.refreshTokens().issue(userId, Duration.ofHours(4), null);

    assertThat(issued.record().expiresAt()).isEqualTo(now().plus(Duration.ofHours(1)));
    assertThat(issued.record().familyExpiresAt()).isEqualTo(now().plus(Duration.ofHours(1)));
    advance(Duration.ofHours(1));
    assertThat(db.refreshTokens().findValid(issued.token())).isEmpty();
  }

  @Test
  void rotateByAnotherUserIsRefusedWithoutSideEffect() {
    String owner = user("ada");
    String intruder = user("eve");
    IssuedToken issued = tokens().issue(owner);

    assertThat(tokens().rotate(issued.token(), intruder)).isEqualTo(new Invalid(Reason.WRONG_USER));

    assertThat(tokens().findValid(issued.token())).contains(issued.record());
    rotated(tokens().rotate(issued.token(), owner));
  }

  @Test
  void rotateOfUnknownTokenIsInvalid() {
    String userId = user("ada");
    tokens().issue(userId);

    assertThat(tokens().rotate("A".repeat(43), userId)).isEqualTo(new Invalid(Reason.UNKNOWN));
  }

  @Test
  void rotateOfRevokedTokenIsInvalid() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId);
    tokens().revoke(issued.token());

    assertThat(tokens().rotate(issued.token(), userId)).isEqualTo(new Invalid(Reason.REVOKED));
  }

  @Test
  void rotateOfExpiredTokenIsInvalid() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId, Duration.ofMinutes(5), null);
    advance(Duration.ofMinutes(5));

    assertThat(tokens().rotate(issued.token(), userId)).isEqualTo(new Invalid(Reason.EXPIRED));
  }

  @Test
  void reuseOfRotatedTokenRevokesTheWholeFamily() {
    String userId = user("ada");
    IssuedToken a = tokens().issue(userId);
    IssuedToken unrelated = tokens().issue(userId);
    IssuedToken b = rotated(tokens().rotate(a.token(), userId));
    IssuedToken c = rotated(tokens().rotate(b.token(), userId));

    RotationResult result = tokens().rotate(a.token(), userId);

    assertThat(result)
        .as("a, b (rotated) and c (live) were unrevoked")
        .isEqualTo(new ReuseDetected(a.record().familyId(), 3));
    assertThat(tokens().findValid(c.token())).isEmpty();
    assertThat(tokens().rotate(c.token(), userId)).isEqualTo(new Invalid(Reason.REVOKED));
    assertThat(tokens().rotate(b.token(), userId)).isEqualTo(new Invalid(Reason.REVOKED));
    assertThat(tokens().findValid(unrelated.token())).isPresent();
  }

  @Test
  void reuseRevocationStaysCommitted() {
    assumeTrue(fixture().supports(Feature.SHARED_DATABASE), "needs a second provider");
    String userId = user("ada");
    IssuedToken a = tokens().issue(userId);
    IssuedToken b = rotated(tokens().rotate(a.token(), userId));
    advance(fixture().db().config().refreshReuseGrace().plusSeconds(1));

    assertThat(tokens().rotate(a.token(), userId)).isInstanceOf(ReuseDetected.class);

    DbProvider other = fixture().open(x -> {});
    assertThat(other.refreshTokens().findValid(b.token())).isEmpty();
    assertThat(other.refreshTokens().rotate(b.token(), userId))
        .isEqualTo(new Invalid(Reason.REVOKED));
    assertThat(other.refreshTokens().revoke(b.token()))
        .as("already revoked by reuse detection")
        .isFalse();
  }

  @Test
  void withTheDefaultSettingsTheParentPresentedAgainWithinTenSecondsGetsTheSameChild() {
    assertThat(fixture().db().config().refreshReuseGrace()).isEqualTo(Duration.ofSeconds(10));
    String userId = user("ada");
    IssuedToken parent = tokens().issue(userId);
    IssuedToken child = rotated(tokens().rotate(parent.token(), userId));
    advance(Duration.ofSeconds(10));

    assertThat(rotated(tokens().rotate(parent.token(), userId)).token())
        .as("a second tab, or a retry after a lost reply, is not a thief")
        .isEqualTo(child.token());
    advance(Duration.ofMillis(1));
    assertThat(tokens().rotate(parent.token(), userId))
        .isEqualTo(new ReuseDetected(parent.record().familyId(), 2));
  }

  @Test
  void withTheGraceWindowOffARotatedTokenPresentedAgainIsAlwaysReuse() {
    DbProvider db = fixture().openFresh(x -> x.refreshReuseGrace(Duration.ZERO));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    IssuedToken parent = tokens.issue(userId);
    IssuedToken child = rotated(tokens.rotate(parent.token(), userId));

    assertThat(tokens.rotate(parent.token(), userId))
        .isEqualTo(new ReuseDetected(parent.record().familyId(), 2));
    assertThat(tokens.findValid(child.token())).isEmpty();
  }

  @Test
  void parentInsideGraceWindowReturnsTheSameChild() {
    DbProvider db = fixture().openFresh(x -> x.refreshReuseGrace(Duration.ofSeconds(10)));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    IssuedToken parent = tokens.issue(userId);
    IssuedToken child = rotated(tokens.rotate(parent.token(), userId));
    advance(Duration.ofSeconds(9));

    IssuedToken again = rotated(tokens.rotate(parent.token(), userId));

    assertThat(again.token()).isEqualTo(child.token());
    assertThat(again.record().id()).isEqualTo(child.record().id());
    assertThat(tokens.findValid(child.token())).isPresent();
    IssuedToken grandChild = rotated(tokens.rotate(child.token(), userId));
    assertThat(grandChild.record().parentId()).contains(child.record().id());
  }

  @Test
  void parentOutsideGraceWindowIsReuse() {
    DbProvider db = fixture().openFresh(x -> x.refreshReuseGrace(Duration.ofSeconds(10)));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    IssuedToken parent = tokens.issue(userId);
    IssuedToken child = rotated(tokens.rotate(parent.token(), userId));
    advance(Duration.ofSeconds(11));

    assertThat(tokens.rotate(parent.token(), userId))
        .isEqualTo(new ReuseDetected(parent.record().familyId(), 2));
    assertThat(tokens.findValid(child.token())).isEmpty();
  }

  @Test
  void graceWindowAcceptsOnlyTheImmediateParent() {
    DbProvider db = fixture().openFresh(x -> x.refreshReuseGrace(Duration.ofSeconds(10)));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    IssuedToken grandParent = tokens.issue(userId);
    IssuedToken parent = rotated(tokens.rotate(grandParent.token(), userId));
    IssuedToken child = rotated(tokens.rotate(parent.token(), userId));
    advance(Duration.ofSeconds(1));

    assertThat(tokens.rotate(grandParent.token(), userId))
        .isEqualTo(new ReuseDetected(grandParent.record().familyId(), 3));
    assertThat(tokens.findValid(child.token())).isEmpty();
  }

  @Test
  void graceWindowNeedsALiveChild() {
    DbProvider db = fixture().openFresh(x -> x.refreshReuseGrace(Duration.ofSeconds(10)));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    IssuedToken parent = tokens.issue(userId);
    IssuedToken child = rotated(tokens.rotate(parent.token(), userId));
    assertThat(tokens.revoke(child.token())).isTrue();

    assertThat(tokens.rotate(parent.token(), userId))
        .as("only the parent was still unrevoked")
        .isEqualTo(new ReuseDetected(parent.record().familyId(), 1));
  }

  @Test
  void graceWindowStillRefusesAnotherUser() {
    DbProvider db = fixture().openFresh(x -> x.refreshReuseGrace(Duration.ofSeconds(10)));
    RefreshTokens tokens = db.refreshTokens();
    String userId = user(db, "ada");
    String intruder = user(db, "eve");
    IssuedToken parent = tokens.issue(userId);
    IssuedToken child = rotated(tokens.rotate(parent.token(), userId));

    assertThat(tokens.rotate(parent.token(), intruder)).isEqualTo(new Invalid(Reason.WRONG_USER));
    assertThat(tokens.findValid(child.token())).isPresent();
  }

  @Test
  void revokeIsIdempotent() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId);
    IssuedToken other = tokens().issue(userId);

    assertThat(tokens().revoke(issued.token())).isTrue();
    assertThat(tokens().findValid(issued.token())).isEmpty();
    assertThat(tokens().revoke(issued.token())).isFalse();
    assertThat(tokens().revoke("A".repeat(43))).isFalse();
    assertThat(tokens().findValid(other.token())).isPresent();
  }

  @Test
  void revokeAllForUserCountsUnrevokedTokens() {
    String ada = user("ada");
    String bob = user("bob");
    IssuedToken t1 = tokens().issue(ada);
    IssuedToken t1Child = rotated(tokens().rotate(t1.token(), ada));
    IssuedToken t2 = tokens().issue(ada);
    IssuedToken t3 = tokens().issue(ada);
    tokens().revoke(t2.token());
    IssuedToken bobs = tokens().issue(bob);

    assertThat(tokens().revokeAllForUser(ada)).as("t1 (rotated), its child and t3").isEqualTo(3);

    assertThat(tokens().findValid(t1Child.token())).isEmpty();
    assertThat(tokens().findValid(t3.token())).isEmpty();
    assertThat(tokens().findValid(bobs.token())).isPresent();
    assertThat(tokens().revokeAllForUser(ada)).isZero();
    assertThat(tokens().revokeAllForUser(UUID.randomUUID().toString())).isZero();
  }

  @Test
  void pruneExpiredDeletesInBatchesAndKeepsLiveTokens() {
    String userId = user("ada");
    IssuedToken[] expiring = new IssuedToken[5];
    for (int i = 0; i < expiring.length; i++) {
      expiring[i] = tokens().issue(userId, Duration.ofHours(1), null);
    }
    IssuedToken live = tokens().issue(userId, Duration.ofDays(1), null);
    advance(Duration.ofHours(1));

    assertThat(tokens().pruneExpired(now(), 2)).isEqualTo(5);

    for (IssuedToken t : expiring) {
      assertThat(tokens().rotate(t.token(), userId))
          .as("a pruned token is unknown")
          .isEqualTo(new Invalid(Reason.UNKNOWN));
    }
    assertThat(tokens().findValid(live.token())).isPresent();
    assertThat(tokens().pruneExpired(now(), 2)).isZero();
  }

  @Test
  void pruneExpiredKeepsTokensExpiringAfterNow() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId, Duration.ofHours(1), null);

    assertThat(tokens().pruneExpired(now().plus(Duration.ofHours(1)).minusMillis(1), 10)).isZero();
    assertThat(tokens().rotate(issued.token(), userId)).isInstanceOf(Rotated.class);
  }

  @Test
  void lifetimesTooLongToRepresentEndAtTheLastStoredMillisecond() {
    Duration forever = ChronoUnit.FOREVER.getDuration();
    DbProvider db = fixture().openFresh(b -> b.refreshFamilyLifetime(forever));
    String userId = user(db, "ada");

    IssuedToken issued = db.refreshTokens().issue(userId, forever, null);

    assertThat(issued.record().expiresAt()).isEqualTo(DbProviderContract.LATEST);
    assertThat(issued.record().familyExpiresAt()).isEqualTo(DbProviderContract.LATEST);
    assertThat(db.refreshTokens().findValid(issued.token())).contains(issued.record());
    assertThat(db.refreshTokens().pruneExpired(DbProviderContract.LATEST.minusMillis(1), 10))
        .isZero();
    assertThat(db.refreshTokens().pruneExpired(DbProviderContract.LATEST, 10)).isEqualTo(1);
  }

  @Test
  void pruneExpiredRefusesACutoffOutsideTheStoredRange() {
    for (Instant bad : DbProviderContract.OUTSIDE_STORED_RANGE) {
      assertThatThrownBy(() -> tokens().pruneExpired(bad, 10))
          .isInstanceOfSatisfying(
              DbValidationException.class, e -> assertThat(e.field()).isEqualTo("now"));
    }
    assertThat(tokens().pruneExpired(DbProviderContract.EARLIEST, 10)).isZero();
  }

  @Test
  void pruneExpiredRefusesBadBatchSize() {
    assertPruneRefused(() -> tokens().pruneExpired(now(), 0));
    assertPruneRefused(() -> tokens().pruneExpired(now(), 10_001));
    assertPruneRefused(() -> tokens().pruneExpired(null, 10));
  }

  @Test
  void tokenSecretNeverAppearsInToString() {
    String userId = user("ada");
    IssuedToken issued = tokens().issue(userId, null, "device-1");
    RotationResult result = tokens().rotate(issued.token(), userId);
    IssuedToken next = rotated(result);

    assertThat(issued.toString()).doesNotContain(issued.token());
    assertThat(issued.record().toString()).doesNotContain(issued.token());
    assertThat(result.toString()).doesNotContain(next.token());
    assertThat(next.toString()).doesNotContain(next.token());
  }

  private static void assertPruneRefused(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(DbValidationException.class);
  }
}
