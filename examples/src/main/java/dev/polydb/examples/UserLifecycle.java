package dev.polydb.examples;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.RotationResult;
import dev.polydb.api.SearchScope;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One user's life through the public API: sign-in, refresh tokens with rotation and reuse
 * detection, a subscription fed by webhooks (one delivered twice), journal entries, a search over
 * stored chunks, and account deletion.
 *
 * <p>Run it with {@code DATABASE_URL} unset to use a SQLite file ({@code data/polydb.db}), or point
 * {@code DATABASE_URL} at Postgres. The vector dimension is 3 here to keep the output readable; a
 * database keeps the dimension it was first migrated with.
 */
public final class UserLifecycle {
  private final DbProvider db;
  private final Consumer<String> out;

  /**
   * Creates the walk-through.
   *
   * @param db the provider to use
   * @param out where each step is printed
   */
  public UserLifecycle(DbProvider db, Consumer<String> out) {
    this.db = db;
    this.out = out;
  }

  /**
   * Opens the provider {@code DATABASE_URL} names and walks one user's life.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    DbConfig config = DbConfig.builder().fromEnv(System.getenv()).vectorDimension(3).build();
    try (DbProvider db = DbProviders.open(config)) {
      System.out.println("backend: " + db.backend() + " at " + config.redactedUrl());
      new UserLifecycle(db, System.out::println).run();
    }
  }

  /** Walks the scenario; every step prints one line. */
  public void run() {
    String subject = "example-" + Instant.now().toEpochMilli();

    User user =
        db.users().upsert("google", subject, UserProfile.of("ada@example.com", "Ada", null));
    out.accept("sign-in: created user, email " + user.profile().email().orElse("-"));
    User again = db.users().upsert("google", subject, UserProfile.of(null, "Ada L.", null));
    out.accept(
        "sign-in again: same user "
            + again.id().equals(user.id())
            + ", display name "
            + again.profile().displayName().orElse("-")
            + ", email kept "
            + again.profile().email().orElse("-"));

    IssuedToken first = db.refreshTokens().issue(user.id(), Duration.ofDays(30), "laptop");
    out.accept("refresh token issued: " + first.token().length() + " characters, stored hashed");
    RotationResult rotated = db.refreshTokens().rotate(first.token(), user.id());
    IssuedToken second = rotated.issued().orElseThrow();
    out.accept(
        "rotation: "
            + rotated.getClass().getSimpleName()
            + ", new token valid "
            + db.refreshTokens().findValid(second.token()).isPresent()
            + ", old token valid "
            + db.refreshTokens().findValid(first.token()).isPresent());
    RotationResult replay = db.refreshTokens().rotate(first.token(), user.id());
    out.accept(
        "replayed old token: "
            + replay.getClass().getSimpleName()
            + ", family revoked, new token valid "
            + db.refreshTokens().findValid(second.token()).isPresent());

    Instant periodEnd = Instant.now().plus(Duration.ofDays(30));
    SubscriptionChange purchase =
        SubscriptionChange.builder()
            .userId(user.id())
            .provider("stripe")
            .externalId("sub_" + subject)
            .plan("pro-monthly")
            .status(SubscriptionStatus.ACTIVE)
            .currentPeriodEnd(periodEnd)
            .eventType("checkout.completed")
            .providerEventId("evt_" + subject + "_1")
            .occurredAt(Instant.now())
            .payloadJson("{\"amount\":900,\"currency\":\"eur\"}")
            .build();
    SubscriptionUpdate applied = db.subscriptions().upsertActive(purchase);
    out.accept(
        "webhook: "
            + applied.outcome()
            + ", subscription "
            + applied.subscription().status().storedName()
            + " on plan "
            + applied.subscription().plan());
    SubscriptionUpdate redelivered = db.subscriptions().upsertActive(purchase);
    out.accept(
        "same webhook delivered again: "
            + redelivered.outcome()
            + ", events logged "
            + db.subscriptions().listEvents("stripe", "sub_" + subject).size());
    out.accept("active subscription: " + db.subscriptions().findActive(user.id()).isPresent());

    db.journal().insert(user.id(), "First entry. Café ☕");
    JournalEntry second2 = db.journal().insert(user.id(), "Second entry 😀");
    List<JournalEntry> newest = db.journal().list(user.id(), 10, 0);
    out.accept(
        "journal: "
            + newest.size()
            + " entries, newest \""
            + newest.get(0).content()
            + "\", "
            + db.journal().totalBytes(user.id())
            + " bytes in all");
    db.journal().update(user.id(), second2.id(), "Second entry, edited");
    out.accept("journal after edit: " + db.journal().totalBytes(user.id()) + " bytes in all");

    db.vectors()
        .upsert(
            List.of(
                chunk(
                    subject + "-c0", user, "guide", 0, "How to brew coffee", "en", 0.9f, 0.1f, 0f),
                chunk(subject + "-c1", user, "guide", 1, "How to brew tea", "en", 0.1f, 0.9f, 0f),
                chunk(subject + "-c2", user, "notes", 0, "Kaffee kochen", "de", 0.8f, 0.2f, 0.1f)));
    List<ChunkMatch> hits =
        db.vectors().search(new float[] {1f, 0f, 0f}, 2, SearchScope.user(user.id()));
    out.accept(
        "search \"coffee\": "
            + hits.stream()
                .map(h -> h.chunk().text() + String.format(" (%.3f)", h.distance()))
                .toList());
    List<ChunkMatch> english =
        db.vectors()
            .search(
                new float[] {1f, 0f, 0f},
                2,
                SearchScope.user(user.id()).withMetadata("lang", "en"));
    out.accept(
        "search \"coffee\" in English: " + english.stream().map(h -> h.chunk().text()).toList());

    db.jtis().revoke("jti-" + subject, user.id(), Instant.now().plus(Duration.ofHours(1)));
    out.accept("access token revoked: " + db.jtis().isRevoked("jti-" + subject));

    boolean deleted = db.users().delete(user.id());
    out.accept(
        "account deleted: "
            + deleted
            + ", user found "
            + db.users().findById(user.id()).isPresent()
            + ", journal bytes "
            + db.journal().totalBytes(user.id())
            + ", search hits "
            + db.vectors().search(new float[] {1f, 0f, 0f}, 2, SearchScope.user(user.id())).size()
            + ", subscription events kept "
            + db.subscriptions().listEvents("stripe", "sub_" + subject).size());
  }

  private static Chunk chunk(
      String id, User owner, String document, int index, String text, String lang, float... e) {
    return Chunk.of(
        id, owner.id(), document, index, text, Map.of("lang", lang), e, "example-embedder");
  }
}
