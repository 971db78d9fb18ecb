package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.SearchScope;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** §3 atomic operations and inTransaction. */
public abstract class TransactionsContract {

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  /** Thrown by work to make a transaction fail. */
  private static final class Boom extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Boom() {
      super("boom");
    }
  }

  private record Written(User user, JournalEntry entry, IssuedToken token) {}

  @Test
  void inTransactionCommitsSeveralAreasTogetherAndReturnsTheWorksValue() {
    DbProvider db = fixture().db();

    Written written =
        db.inTransaction(
            tx -> {
              User user = tx.users().create("google", "tx-commit", UserProfile.EMPTY);
              JournalEntry entry = tx.journal().insert(user.id(), "written in a transaction");
              IssuedToken token = tx.refreshTokens().issue(user.id());
              return new Written(user, entry, token);
            });

    assertThat(db.users().findById(written.user().id())).contains(written.user());
    assertThat(db.journal().findById(written.user().id(), written.entry().id()))
        .contains(written.entry());
    assertThat(db.refreshTokens().findValid(written.token().token()))
        .contains(written.token().record());
  }

  @Test
  void anExceptionInTheWorkRollsBackEveryAreaAndPropagatesUnchanged() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider db = fixture().db();
    User owner = db.users().create("google", "tx-owner", UserProfile.EMPTY);
    Boom boom = new Boom();
    AtomicReference<String> token = new AtomicReference<>();

    assertThatThrownBy(
            () ->
                db.inTransaction(
                    tx -> {
                      tx.users().create("google", "tx-rolled-back", UserProfile.EMPTY);
                      tx.journal().insert(owner.id(), "never committed");
                      token.set(tx.refreshTokens().issue(owner.id()).token());
                      tx.jtis()
                          .revoke(
                              "jti-rolled-back",
                              owner.id(),
                              fixture().clock().instant().plusSeconds(3600));
                      tx.subscriptions()
                          .upsertActive(ReadOnlySample.change(owner.id(), "rolled-back", "evt-rb"));
                      tx.vectors()
                          .upsert(
                              List.of(
                                  Chunk.of(
                                      "chunk-rolled-back",
                                      owner.id(),
                                      "doc",
                                      0,
                                      "never committed",
                                      Map.of(),
                                      ReadOnlySample.QUERY,
                                      ReadOnlySample.MODEL)));
                      throw boom;
                    }))
        .isSameAs(boom);

    assertThat(db.users().findByProvider("google", "tx-rolled-back")).isEmpty();
    assertThat(db.journal().list(owner.id(), 10, 0)).isEmpty();
    assertThat(db.journal().totalBytes(owner.id())).isZero();
    assertThat(token.get()).isNotNull();
    assertThat(db.refreshTokens().findValid(token.get())).isEmpty();
    assertThat(db.jtis().isRevoked("jti-rolled-back")).isFalse();
    assertThat(db.subscriptions().findActive(owner.id())).isEmpty();
    assertThat(db.subscriptions().findByExternalId(ReadOnlySample.BILLING, "sub-rolled-back"))
        .isEmpty();
    assertThat(db.subscriptions().listEvents(ReadOnlySample.BILLING, "sub-rolled-back")).isEmpty();
    assertThat(db.vectors().search(ReadOnlySample.QUERY, 10, SearchScope.user(owner.id())))
        .isEmpty();
  }

  @Test
  void aLibraryErrorInsideRollsBackEarlierWritesAndPropagates() {
    DbProvider db = fixture().db();
    User existing = db.users().create("google", "tx-existing", UserProfile.EMPTY);

    assertThatThrownBy(
            () ->
                db.inTransaction(
                    tx -> {
                      tx.users().create("google", "tx-before-conflict", UserProfile.EMPTY);
                      tx.journal().insert(existing.id(), "before the conflict");
                      return tx.users().create("google", "tx-existing", UserProfile.EMPTY);
                    }))
        .isInstanceOf(DbConflictException.class);

    assertThat(db.users().findByProvider("google", "tx-before-conflict")).isEmpty();
    assertThat(db.journal().list(existing.id(), 10, 0)).isEmpty();
    assertThat(db.users().findById(existing.id())).contains(existing);
  }

  @Test
  void aFailedCallInsideATransactionChangesNothingAndTheTransactionGoesOn() {
    DbProvider db = fixture().db();
    User existing = db.users().create("google", "tx-taken", UserProfile.EMPTY);

    // a caller may catch a library error and carry on: the failed call is undone on its own
    // (Postgres would otherwise refuse every later statement of an aborted transaction)
    JournalEntry after =
        db.inTransaction(
            tx -> {
              tx.journal().insert(existing.id(), "before the conflict");
              assertThatThrownBy(
                      () ->
                          tx.users()
                              .create("google", "tx-taken", UserProfile.of("x@y", null, null)))
                  .isInstanceOf(DbConflictException.class);
              assertThatThrownBy(() -> tx.journal().insert("no-such-user", "owner does not exist"))
                  .isInstanceOf(DbNotFoundException.class);
              return tx.journal().insert(existing.id(), "after the conflict");
            });

    assertThat(db.journal().list(existing.id(), 10, 0))
        .extracting(JournalEntry::content)
        .containsExactly("after the conflict", "before the conflict");
    assertThat(db.journal().findById(existing.id(), after.id())).contains(after);
    assertThat(db.users().findById(existing.id())).contains(existing);
  }

  @Test
  void aNestedInTransactionJoinsTheOuterOne() {
    DbProvider db = fixture().db();
    Boom boom = new Boom();
    AtomicReference<String> innerUser = new AtomicReference<>();

    assertThatThrownBy(
            () ->
                db.inTransaction(
                    tx -> {
                      User outer = tx.users().create("google", "tx-outer", UserProfile.EMPTY);
                      String inner =
                          tx.inTransaction(
                              tx2 -> {
                                assertThat(tx2.users().findById(outer.id())).isPresent();
                                User u =
                                    tx2.users().create("google", "tx-inner", UserProfile.EMPTY);
                                tx2.journal().insert(outer.id(), "inner entry");
                                return u.id();
                              });
                      innerUser.set(inner);
                      assertThat(tx.users().findById(inner)).isPresent();
                      throw boom;
                    }))
        .isSameAs(boom);

    assertThat(innerUser.get()).isNotNull();
    assertThat(db.users().findById(innerUser.get())).isEmpty();
    assertThat(db.users().findByProvider("google", "tx-inner")).isEmpty();
    assertThat(db.users().findByProvider("google", "tx-outer")).isEmpty();

    String committed =
        db.inTransaction(
            tx ->
                tx.inTransaction(
                    tx2 -> tx2.users().create("google", "tx-nested-ok", UserProfile.EMPTY).id()));
    assertThat(db.users().findById(committed)).isPresent();
  }

  @Test
  void accountDeletionRemovesDataInEveryAreaInOneCall() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider db = fixture().db();
    ReadOnlySample gone = ReadOnlySample.write(db, "gone");
    ReadOnlySample kept = ReadOnlySample.write(db, "kept");
    String userId = gone.user().id();

    assertThat(db.users().delete(userId)).isTrue();

    assertThat(db.users().findById(userId)).isEmpty();
    assertThat(db.users().findByProvider("google", "sub-gone")).isEmpty();
    assertThat(db.refreshTokens().findValid(gone.token().token())).isEmpty();
    assertThat(db.journal().list(userId, 10, 0)).isEmpty();
    assertThat(db.journal().findById(userId, gone.entry().id())).isEmpty();
    assertThat(db.journal().totalBytes(userId)).isZero();
    assertThat(db.subscriptions().findActive(userId)).isEmpty();
    assertThat(db.subscriptions().findLatest(userId)).isEmpty();
    assertThat(gone.search(db)).isEmpty();
    assertThat(gone.events(db))
        .singleElement()
        .satisfies(e -> assertThat(e.userId()).as("events are kept, user cleared").isEmpty());

    assertThat(db.users().findById(kept.user().id())).contains(kept.user());
    assertThat(db.refreshTokens().findValid(kept.token().token())).isPresent();
    assertThat(db.journal().findById(kept.user().id(), kept.entry().id())).contains(kept.entry());
    assertThat(db.jtis().isRevoked(kept.jti())).isTrue();
    assertThat(db.subscriptions().findActive(kept.user().id())).contains(kept.subscription());
    assertThat(kept.search(db)).extracting(m -> m.chunk().id()).containsExactly("chunk-kept");

    // a provider that never cached a positive answer (which §8 allows) sees the stored state
    db.close();
    DbProvider after = fixture().open(b -> {});
    assertThat(after.jtis().isRevoked(gone.jti()))
        .as("a deleted user's revoked JWT ids stay revoked until they expire")
        .isTrue();
    assertThat(after.jtis().isRevoked(kept.jti())).isTrue();
    assertThat(gone.search(after)).isEmpty();
    assertThat(after.users().findById(userId)).isEmpty();
  }

  @Test
  void accountDeletionInsideAFailedTransactionLeavesEverythingInPlace() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider db = fixture().db();
    ReadOnlySample sample = ReadOnlySample.write(db, "survivor");
    String userId = sample.user().id();
    Boom boom = new Boom();

    assertThatThrownBy(
            () ->
                db.inTransaction(
                    tx -> {
                      assertThat(tx.users().delete(userId)).isTrue();
                      assertThat(tx.users().findById(userId)).isEmpty();
                      throw boom;
                    }))
        .isSameAs(boom);

    assertThat(db.users().findById(userId)).contains(sample.user());
    assertThat(db.refreshTokens().findValid(sample.token().token())).isPresent();
    assertThat(db.journal().findById(userId, sample.entry().id())).contains(sample.entry());
    assertThat(db.jtis().isRevoked(sample.jti())).isTrue();
    assertThat(db.subscriptions().findActive(userId)).contains(sample.subscription());
    assertThat(sample.events(db))
        .singleElement()
        .satisfies(e -> assertThat(e.userId()).contains(userId));
    assertThat(sample.search(db)).extracting(m -> m.chunk().id()).containsExactly("chunk-survivor");
  }

  @Test
  void aSubscriptionUpsertAndItsEventAreWrittenTogetherOrNotAtAll() {
    DbProvider db = fixture().db();
    User alice = db.users().create("google", "tx-alice", UserProfile.EMPTY);
    User bob = db.users().create("google", "tx-bob", UserProfile.EMPTY);
    Subscription first =
        db.subscriptions()
            .upsertActive(ReadOnlySample.change(alice.id(), "a", "evt-a1"))
            .subscription();

    // a second active subscription for alice: conflict, and neither it nor its event is written
    assertThatThrownBy(
            () -> db.subscriptions().upsertActive(ReadOnlySample.change(alice.id(), "b", "evt-b1")))
        .isInstanceOf(DbConflictException.class);
    assertThat(db.subscriptions().findByExternalId(ReadOnlySample.BILLING, "sub-b")).isEmpty();
    assertThat(db.subscriptions().listEvents(ReadOnlySample.BILLING, "sub-b")).isEmpty();
    assertThat(db.subscriptions().findActive(alice.id())).contains(first);

    // alice's external id presented for bob: conflict, and the event id stays unused
    assertThatThrownBy(
            () -> db.subscriptions().upsertActive(ReadOnlySample.change(bob.id(), "a", "evt-a2")))
        .isInstanceOf(DbConflictException.class);
    assertThat(db.subscriptions().listEvents(ReadOnlySample.BILLING, "sub-a")).hasSize(1);
    assertThat(db.subscriptions().findActive(bob.id())).isEmpty();

    SubscriptionUpdate retried =
        db.subscriptions().upsertActive(ReadOnlySample.change(alice.id(), "a", "evt-a2"));
    assertThat(retried.outcome())
        .as("the refused event was not stored, so it is not a duplicate now")
        .isEqualTo(SubscriptionUpdate.Outcome.APPLIED);
    assertThat(db.subscriptions().listEvents(ReadOnlySample.BILLING, "sub-a")).hasSize(2);
  }

  @Test
  void readsInsideATransactionSeeItsOwnWrites() {
    DbProvider db = fixture().db();

    db.inTransaction(
        tx -> {
          User user = tx.users().create("google", "tx-reads", UserProfile.EMPTY);
          assertThat(tx.users().findById(user.id())).contains(user);
          assertThat(tx.users().findByProvider("google", "tx-reads")).contains(user);

          JournalEntry entry = tx.journal().insert(user.id(), "abc");
          assertThat(tx.journal().list(user.id(), 10, 0)).containsExactly(entry);
          assertThat(tx.journal().totalBytes(user.id())).isEqualTo(3);

          IssuedToken token = tx.refreshTokens().issue(user.id());
          assertThat(tx.refreshTokens().findValid(token.token())).contains(token.record());

          Subscription s =
              tx.subscriptions()
                  .upsertActive(ReadOnlySample.change(user.id(), "reads", "evt-reads"))
                  .subscription();
          assertThat(tx.subscriptions().findActive(user.id())).contains(s);

          tx.jtis()
              .revoke(
                  "jti-reads", user.id(), fixture().clock().instant().plus(Duration.ofHours(1)));
          assertThat(tx.jtis().isRevoked("jti-reads")).isTrue();
          return null;
        });
  }

  @Test
  void writesStayInvisibleToOtherCallersUntilCommit() {
    DbProvider db = fixture().db();

    String id =
        db.inTransaction(
            tx -> {
              User user = tx.users().create("google", "tx-invisible", UserProfile.EMPTY);
              Optional<User> seenOutside =
                  CompletableFuture.supplyAsync(() -> db.users().findById(user.id()))
                      .orTimeout(10, TimeUnit.SECONDS)
                      .join();
              assertThat(seenOutside).as("read from another thread before commit").isEmpty();
              return user.id();
            });

    assertThat(
            CompletableFuture.supplyAsync(() -> db.users().findById(id))
                .orTimeout(10, TimeUnit.SECONDS)
                .join())
        .isPresent();
  }
}
