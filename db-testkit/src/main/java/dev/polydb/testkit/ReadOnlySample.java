package dev.polydb.testkit;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbProvider;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.SearchScope;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One user with data in every area, written through a provider; used by the read-only and the
 * transaction contracts.
 *
 * @param user the user
 * @param token a live refresh token of the user
 * @param subscription the user's active subscription
 * @param entry a journal entry of the user
 * @param jti a JWT id revoked for the user until an hour after the suite's start
 * @param chunk a chunk of the user, embedding {@link #QUERY}; null where the backend has no vector
 *     search
 */
record ReadOnlySample(
    User user,
    IssuedToken token,
    Subscription subscription,
    JournalEntry entry,
    String jti,
    Chunk chunk) {

  /** The embedding of every sample chunk, and the query that finds it. */
  static final float[] QUERY = {1f, 0f, 0f, 0f};

  /** The billing provider of the sample subscriptions. */
  static final String BILLING = "stripe";

  /** The embedding model of the sample chunks. */
  static final String MODEL = "test-model";

  /**
   * Writes a user and data in every area.
   *
   * @param db the provider to write through
   * @param name a name unique in the test, used in every identifier
   * @return what was written
   */
  static ReadOnlySample write(DbProvider db, String name) {
    return write(db, name, true);
  }

  /**
   * Writes a user and data in every area, vectors only when asked.
   *
   * @param db the provider to write through
   * @param name a name unique in the test, used in every identifier
   * @param withVectors whether to write a chunk too
   * @return what was written
   */
  static ReadOnlySample write(DbProvider db, String name, boolean withVectors) {
    User user =
        db.users().create("google", "sub-" + name, UserProfile.of(name + "@x.test", name, null));
    IssuedToken token = db.refreshTokens().issue(user.id());
    Subscription subscription =
        db.subscriptions().upsertActive(change(user.id(), name, "evt-" + name)).subscription();
    JournalEntry entry = db.journal().insert(user.id(), "entry of " + name + " \u00e9\u270d");
    String jti = "jti-" + name;
    db.jtis().revoke(jti, user.id(), DbProviderContract.START.plus(Duration.ofHours(1)));
    if (!withVectors) {
      return new ReadOnlySample(user, token, subscription, entry, jti, null);
    }
    Chunk chunk =
        Chunk.of(
            "chunk-" + name,
            user.id(),
            "doc-" + name,
            0,
            "text of " + name,
            Map.of("lang", "en"),
            QUERY,
            MODEL);
    db.vectors().upsert(List.of(chunk));
    return new ReadOnlySample(user, token, subscription, entry, jti, chunk);
  }

  /**
   * An active subscription change for the sample's external id {@code sub-<name>}.
   *
   * @param userId the subscriber
   * @param name the sample's name
   * @param eventId the provider event id
   * @return the change
   */
  static SubscriptionChange change(String userId, String name, String eventId) {
    Instant start = DbProviderContract.START;
    return SubscriptionChange.builder()
        .userId(userId)
        .provider(BILLING)
        .externalId("sub-" + name)
        .plan("pro")
        .status(SubscriptionStatus.ACTIVE)
        .currentPeriodEnd(start.plus(Duration.ofDays(30)))
        .eventType("created")
        .providerEventId(eventId)
        .occurredAt(start)
        .payloadJson("{\"id\":\"" + eventId + "\"}")
        .build();
  }

  /**
   * The sample's events as the provider reports them.
   *
   * @param db the provider to read through
   * @return the events of {@code sub-<name>}
   */
  List<SubscriptionEvent> events(DbProvider db) {
    return db.subscriptions().listEvents(BILLING, subscription.externalId());
  }

  /**
   * Searches the sample user's chunks.
   *
   * @param db the provider to read through
   * @return the matches for {@link #QUERY}
   */
  List<ChunkMatch> search(DbProvider db) {
    return db.vectors().search(QUERY, 10, SearchScope.user(user.id()));
  }
}
