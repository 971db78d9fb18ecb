package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.RotationResult;
import dev.polydb.api.SearchScope;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.api.Users;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §4 users: identities, upsert, create, delete and its cascade. */
public abstract class UsersContract {

  private static final String UUID_V7 =
      "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
  private static final UserProfile FULL =
      UserProfile.of("ada@example.com", "Ada Lovelace", "https://example.com/ada.png");

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  private Users users() {
    return fixture().db().users();
  }

  private Instant now() {
    return fixture().clock().instant();
  }

  @Test
  void findByIdOfUnknownUserIsEmpty() {
    users().create("google", "someone", UserProfile.EMPTY);

    assertThat(users().findById(UUID.randomUUID().toString())).isEmpty();
    assertThat(users().findById("not-a-uuid-at-all")).isEmpty();
  }

  @Test
  void findByProviderOfUnknownIdentityIsEmpty() {
    users().create("google", "someone", UserProfile.EMPTY);

    assertThat(users().findByProvider("google", "someone-else")).isEmpty();
    assertThat(users().findByProvider("github", "someone")).isEmpty();
  }

  @Test
  void createdUserIsFoundByIdAndByIdentity() {
    User created = users().create("google", "sub-1", FULL);

    assertThat(created.provider()).isEqualTo("google");
    assertThat(created.providerSubject()).isEqualTo("sub-1");
    assertThat(created.profile()).isEqualTo(FULL);
    assertThat(created.createdAt()).isEqualTo(now());
    assertThat(created.updatedAt()).isEqualTo(now());
    assertThat(created.lastLoginAt()).as("create is not a sign-in").isEmpty();
    assertThat(users().findById(created.id())).contains(created);
    assertThat(users().findByProvider("google", "sub-1")).contains(created);
  }

  @Test
  void identityIsProviderAndSubjectTogether() {
    User google = users().create("google", "same-subject", UserProfile.EMPTY);
    User github = users().create("github", "same-subject", UserProfile.EMPTY);

    assertThat(github.id()).isNotEqualTo(google.id());
    assertThat(users().findByProvider("google", "same-subject")).contains(google);
    assertThat(users().findByProvider("github", "same-subject")).contains(github);
  }

  @Test
  void createOfExistingIdentityConflictsAndChangesNothing() {
    User first = users().create("google", "sub-1", FULL);
    fixture().clock().advance(Duration.ofMinutes(1));

    assertThatThrownBy(
            () ->
                users().create("google", "sub-1", UserProfile.of("other@example.com", null, null)))
        .isInstanceOf(DbConflictException.class);
    assertThat(users().findByProvider("google", "sub-1")).contains(first);
  }

  @Test
  void aConflictsMessageQuotesNoStoredValue() {
    users().create("google", "subject-quoted-nowhere", UserProfile.EMPTY);

    // the database's own message quotes the row: "Key (provider, provider_subject)=(…)"
    assertThatThrownBy(() -> users().create("google", "subject-quoted-nowhere", UserProfile.EMPTY))
        .isInstanceOf(DbConflictException.class)
        .hasMessageContaining("user create")
        .hasMessageNotContaining("subject-quoted-nowhere");
  }

  @Test
  void upsertCreatesUserOnFirstSignIn() {
    User user = users().upsert("apple", "sub-1", FULL);

    assertThat(user.provider()).isEqualTo("apple");
    assertThat(user.providerSubject()).isEqualTo("sub-1");
    assertThat(user.profile()).isEqualTo(FULL);
    assertThat(user.createdAt()).isEqualTo(now());
    assertThat(user.updatedAt()).isEqualTo(now());
    assertThat(user.lastLoginAt()).contains(now());
    assertThat(users().findByProvider("apple", "sub-1")).contains(user);
  }

  @Test
  void upsertUpdatesPresentFieldsAndKeepsAbsentOnes() {
    User first = users().upsert("google", "sub-1", FULL);
    Instant later = fixture().clock().advance(Duration.ofHours(3));

    User second =
        users()
            .upsert(
                "google",
                "sub-1",
                new UserProfile(
                    Optional.of("new@example.com"), Optional.empty(), Optional.empty()));

    assertThat(second.id()).isEqualTo(first.id());
    assertThat(second.profile())
        .isEqualTo(
            UserProfile.of("new@example.com", "Ada Lovelace", "https://example.com/ada.png"));
    assertThat(second.createdAt()).isEqualTo(first.createdAt());
    assertThat(second.updatedAt()).isEqualTo(later);
    assertThat(second.lastLoginAt()).contains(later);
    assertThat(users().findById(first.id())).contains(second);
  }

  @Test
  void upsertOfAnExistingIdentityReturnsItsOwnIdAfterOtherInserts() {
    // a sign-in that updates must answer with the signed-in user, not with the row the
    // connection inserted last (what a last-insert-id emulation of RETURNING would give)
    User ada = users().upsert("google", "ada", UserProfile.EMPTY);
    for (int i = 0; i < 8; i++) {
      User other = users().upsert("google", "other-" + i, UserProfile.EMPTY);
      assertThat(users().upsert("google", "ada", UserProfile.EMPTY).id()).isEqualTo(ada.id());
      assertThat(users().upsert("google", "other-" + i, UserProfile.EMPTY).id())
          .isEqualTo(other.id());
    }
  }

  @Test
  void upsertOfCreatedUserSetsLastLoginAndKeepsId() {
    User created = users().create("google", "sub-1", UserProfile.of(null, "Ada", null));
    Instant later = fixture().clock().advance(Duration.ofDays(2));

    User signedIn = users().upsert("google", "sub-1", UserProfile.of(null, "Ada L.", null));

    assertThat(signedIn.id()).isEqualTo(created.id());
    assertThat(signedIn.profile()).isEqualTo(UserProfile.of(null, "Ada L.", null));
    assertThat(signedIn.createdAt()).isEqualTo(created.createdAt());
    assertThat(signedIn.updatedAt()).isEqualTo(later);
    assertThat(signedIn.lastLoginAt()).contains(later);
  }

  @Test
  void idsAreLowerCaseUuidV7() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(users().create("google", "v7-" + i, UserProfile.EMPTY).id());
      ids.add(users().upsert("github", "v7-" + i, UserProfile.EMPTY).id());
    }

    assertThat(ids).allSatisfy(id -> assertThat(id).matches(UUID_V7));
    assertThat(ids).doesNotHaveDuplicates();
  }

  @Test
  void idsAreTimeOrdered() throws InterruptedException {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ids.add(users().create("google", "ordered-" + i, UserProfile.EMPTY).id());
      // Both clocks move: the ordering must hold whichever one the id generator reads.
      fixture().clock().advance(Duration.ofMillis(1));
      Thread.sleep(2);
    }

    assertThat(ids).isSorted();
  }

  @Test
  void timestampsAreTruncatedToMilliseconds() {
    Instant withNanos = Instant.parse("2026-03-04T05:06:07.123456789Z");
    Instant millis = Instant.parse("2026-03-04T05:06:07.123Z");
    fixture().clock().set(withNanos);

    User created = users().create("google", "sub-1", UserProfile.EMPTY);
    User signedIn = users().upsert("google", "sub-1", UserProfile.EMPTY);

    assertThat(created.createdAt()).isEqualTo(millis);
    assertThat(created.updatedAt()).isEqualTo(millis);
    assertThat(signedIn.createdAt()).isEqualTo(millis);
    assertThat(signedIn.updatedAt()).isEqualTo(millis);
    assertThat(signedIn.lastLoginAt()).contains(millis);
    assertThat(users().findById(created.id())).contains(signedIn);
  }

  @Test
  void deleteReturnsWhetherTheUserExisted() {
    User user = users().create("google", "sub-1", FULL);
    User other = users().create("google", "sub-2", FULL);

    assertThat(users().delete(user.id())).isTrue();
    assertThat(users().findById(user.id())).isEmpty();
    assertThat(users().findByProvider("google", "sub-1")).isEmpty();
    assertThat(users().delete(user.id())).isFalse();
    assertThat(users().delete(UUID.randomUUID().toString())).isFalse();
    assertThat(users().findById(other.id())).contains(other);
  }

  @Test
  void deletedIdentityCanSignInAgainAsNewUser() {
    User user = users().upsert("google", "sub-1", FULL);
    users().delete(user.id());

    User again = users().upsert("google", "sub-1", UserProfile.EMPTY);

    assertThat(again.id()).isNotEqualTo(user.id());
    assertThat(again.profile()).isEqualTo(UserProfile.EMPTY);
  }

  @Test
  void deleteCascadesToEverythingTheUserOwns() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider db = fixture().db();
    User doomed = users().create("google", "doomed", FULL);
    User bystander = users().create("google", "bystander", FULL);
    Owned doomedData = populate(db, doomed, "d");
    Owned bystanderData = populate(db, bystander, "b");
    boolean sharedDatabase = fixture().supports(Feature.SHARED_DATABASE);
    if (sharedDatabase) {
      // Checked through another provider so that this provider's JWT-id cache stays cold.
      DbProvider other = fixture().open(b -> {});
      assertThat(other.jtis().isRevoked(doomedData.jti())).isTrue();
    }

    assertThat(users().delete(doomed.id())).isTrue();

    assertThat(db.refreshTokens().findValid(doomedData.token().token())).isEmpty();
    assertThat(db.refreshTokens().rotate(doomedData.token().token(), doomed.id()))
        .as("the token row is deleted, not just revoked")
        .isEqualTo(new RotationResult.Invalid(RotationResult.Reason.UNKNOWN));
    assertThat(db.journal().totalBytes(doomed.id())).isZero();
    assertThat(db.journal().list(doomed.id(), 100, 0)).isEmpty();
    assertThat(db.journal().findById(doomed.id(), doomedData.entryId())).isEmpty();
    assertThat(db.vectors().search(vector(), 10, SearchScope.user(doomed.id()))).isEmpty();
    assertThat(db.subscriptions().findLatest(doomed.id())).isEmpty();
    assertThat(db.subscriptions().findActive(doomed.id())).isEmpty();
    assertThat(db.subscriptions().findByExternalId("stripe", doomedData.externalId())).isEmpty();
    if (sharedDatabase) {
      DbProvider after = fixture().open(b -> {});
      assertThat(after.jtis().isRevoked(doomedData.jti()))
          .as("revoked JWT ids are kept until they expire, the user reference cleared")
          .isTrue();
      assertThat(after.jtis().isRevoked(bystanderData.jti())).isTrue();
    }

    assertThat(db.refreshTokens().findValid(bystanderData.token().token())).isPresent();
    assertThat(db.journal().totalBytes(bystander.id())).isEqualTo(5);
    assertThat(db.vectors().search(vector(), 10, SearchScope.user(bystander.id())))
        .extracting(m -> m.chunk().id())
        .containsExactly(bystanderData.chunkId());
    assertThat(db.subscriptions().findActive(bystander.id())).isPresent();
    assertThat(db.jtis().isRevoked(bystanderData.jti())).isTrue();
  }

  @Test
  void deleteKeepsSubscriptionEventsWithUserCleared() {
    DbProvider db = fixture().db();
    User doomed = users().create("google", "doomed", FULL);
    Owned data = populate(db, doomed, "d");
    List<SubscriptionEvent> before = db.subscriptions().listEvents("stripe", data.externalId());
    assertThat(before).hasSize(1);
    assertThat(before.get(0).userId()).contains(doomed.id());

    users().delete(doomed.id());

    List<SubscriptionEvent> after = db.subscriptions().listEvents("stripe", data.externalId());
    assertThat(after).hasSize(1);
    SubscriptionEvent kept = after.get(0);
    SubscriptionEvent was = before.get(0);
    assertThat(kept.userId()).isEmpty();
    assertThat(kept.id()).isEqualTo(was.id());
    assertThat(kept.provider()).isEqualTo("stripe");
    assertThat(kept.externalId()).isEqualTo(data.externalId());
    assertThat(kept.type()).isEqualTo(was.type());
    assertThat(kept.providerEventId()).isEqualTo(was.providerEventId());
    assertThat(kept.occurredAt()).isEqualTo(was.occurredAt());
    assertThat(kept.payloadJson()).isEqualTo(was.payloadJson());
    assertThat(kept.recordedAt()).isEqualTo(was.recordedAt());
  }

  @Test
  void invalidProviderIsRefusedAndNothingWritten() {
    String tooLong = "p".repeat(65);
    for (String bad : Arrays.asList(null, "", "   ", "\t", tooLong, "goo\0gle")) {
      assertRefused("provider", () -> users().upsert(bad, "sub-1", FULL));
      assertRefused("provider", () -> users().create(bad, "sub-1", FULL));
    }
    assertThat(users().findByProvider(tooLong.substring(0, 64), "sub-1")).isEmpty();
    assertThat(users().findByProvider("goo", "sub-1")).isEmpty();
    assertThat(users().findByProvider("gle", "sub-1")).isEmpty();

    String longest = "p".repeat(64);
    User ok = users().create(longest, "sub-1", FULL);
    assertThat(users().findByProvider(longest, "sub-1")).contains(ok);
  }

  @Test
  void invalidSubjectIsRefusedAndNothingWritten() {
    String tooLong = "s".repeat(256);
    for (String bad : Arrays.asList(null, "", "  ", "\n", tooLong, "sub\0ject")) {
      assertRefused("providerSubject", () -> users().upsert("google", bad, FULL));
      assertRefused("providerSubject", () -> users().create("google", bad, FULL));
    }
    assertThat(users().findByProvider("google", tooLong.substring(0, 255))).isEmpty();
    assertThat(users().findByProvider("google", "sub")).isEmpty();
    assertThat(users().findByProvider("google", "ject")).isEmpty();

    String longest = "s".repeat(255);
    User ok = users().upsert("google", longest, FULL);
    assertThat(users().findByProvider("google", longest)).contains(ok);
  }

  @Test
  void invalidProfileFieldsAreRefusedAndNothingWritten() {
    assertRefused("email", () -> signIn(() -> UserProfile.of("e".repeat(321), null, null)));
    assertRefused("email", () -> signIn(() -> UserProfile.of("a\0@example.com", null, null)));
    assertRefused("displayName", () -> signIn(() -> UserProfile.of(null, "d".repeat(257), null)));
    assertRefused("displayName", () -> signIn(() -> UserProfile.of(null, "Ada\0", null)));
    assertRefused("avatarUrl", () -> signIn(() -> UserProfile.of(null, null, "u".repeat(2049))));
    assertRefused("avatarUrl", () -> signIn(() -> UserProfile.of(null, null, "https://\0")));
    assertThat(users().findByProvider("google", "profile-check")).isEmpty();

    UserProfile longest = UserProfile.of("e".repeat(320), "d".repeat(256), "u".repeat(2048));
    User ok = users().upsert("google", "profile-check", longest);
    assertThat(users().findById(ok.id()).map(User::profile)).contains(longest);
  }

  @Test
  void unpairedSurrogatesAreRefusedSoTwoIdentitiesNeverMerge() {
    assertThatThrownBy(() -> users().upsert("google", "alice\uD800", UserProfile.EMPTY))
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo("providerSubject"));
    assertThatThrownBy(() -> users().upsert("google", "bob", UserProfile.of(null, "\uDC00x", null)))
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo("displayName"));
    assertThat(users().findByProvider("google", "alice?")).isEmpty();
    assertThat(users().findByProvider("google", "bob")).isEmpty();
    // a proper pair is fine
    assertThat(users().upsert("google", "alice\uD83D\uDE00", UserProfile.EMPTY).providerSubject())
        .isEqualTo("alice😀");
  }

  @Test
  void nullProfileIsRefused() {
    assertThatThrownBy(() -> users().upsert("google", "sub-1", null))
        .isInstanceOf(DbValidationException.class);
    assertThatThrownBy(() -> users().create("google", "sub-1", null))
        .isInstanceOf(DbValidationException.class);
    assertThat(users().findByProvider("google", "sub-1")).isEmpty();
  }

  @Test
  void lookupsRefuseBlankOrOverLongIds() {
    assertRefused("userId", () -> users().findById(" "));
    assertRefused("userId", () -> users().findById("x".repeat(256)));
    assertRefused("userId", () -> users().delete(""));
    assertRefused("provider", () -> users().findByProvider("", "sub-1"));
    assertRefused("providerSubject", () -> users().findByProvider("google", " "));
  }

  @Test
  void unicodeProfileAndSubjectRoundTrip() {
    UserProfile profile =
        UserProfile.of(
            "zoë.ünïcödé@bücher.example",
            "Zoë 👩🏽‍💻 e\u0301 שלום مرحبا 漢字",
            "https://example.com/ä/😀.png?q=ñ");
    String subject = "sübject-😀-\u05d0\u05d1-e\u0301";

    User user = users().upsert("google", subject, profile);

    assertThat(user.profile()).isEqualTo(profile);
    assertThat(users().findById(user.id()))
        .hasValueSatisfying(
            u -> {
              assertThat(u.profile()).isEqualTo(profile);
              assertThat(u.providerSubject()).isEqualTo(subject);
            });
    assertThat(users().findByProvider("google", subject)).contains(user);
    // A different normalization of the same text is another subject: no silent NFC/NFD.
    assertThat(users().findByProvider("google", "sübject-😀-\u05d0\u05d1-\u00e9")).isEmpty();
  }

  private void signIn(Supplier<UserProfile> profile) {
    users().upsert("google", "profile-check", profile.get());
  }

  private static void assertRefused(String field, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo(field));
  }

  private static float[] vector() {
    return new float[] {1f, 0f, 0f, 0f};
  }

  private Owned populate(DbProvider db, User user, String tag) {
    IssuedToken token = db.refreshTokens().issue(user.id());
    String entryId = db.journal().insert(user.id(), "hello").id();
    String chunkId = "chunk-" + tag;
    db.vectors()
        .upsert(
            List.of(
                Chunk.of(
                    chunkId, user.id(), "doc-" + tag, 0, "text", Map.of(), vector(), "model-a")));
    String jti = "jti-" + tag;
    db.jtis().revoke(jti, user.id(), now().plus(Duration.ofHours(1)));
    String externalId = "sub_" + tag;
    Subscription sub =
        db.subscriptions()
            .upsertActive(
                SubscriptionChange.builder()
                    .userId(user.id())
                    .provider("stripe")
                    .externalId(externalId)
                    .plan("pro")
                    .status(SubscriptionStatus.ACTIVE)
                    .currentPeriodEnd(now().plus(Duration.ofDays(30)))
                    .eventType("created")
                    .providerEventId("evt_" + tag)
                    .occurredAt(now())
                    .payloadJson("{\"id\":\"evt_" + tag + "\"}")
                    .build())
            .subscription();
    assertThat(sub.userId()).isEqualTo(user.id());
    return new Owned(token, entryId, chunkId, jti, externalId);
  }

  private record Owned(
      IssuedToken token, String entryId, String chunkId, String jti, String externalId) {}
}
