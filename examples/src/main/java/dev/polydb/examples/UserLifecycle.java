package dev.polydb.examples;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One user's life through the public API: sign-in, refresh tokens with rotation and reuse
 * detection, a subscription fed by webhooks (one delivered twice), journal entries, a search over
 * stored chunks by meaning, and account deletion.
 *
 * <p>With {@code DATABASE_URL} unset it runs on a SQLite file of its own, {@value #EXAMPLE_FILE},
 * so that it never migrates the file an application opens by default; point {@code DATABASE_URL} at
 * Postgres to run it there. It keeps the library's vector settings (or those {@code
 * DB_VECTOR_DIMENSION} and its siblings set), so that it never fixes a dimension on a database the
 * application will use. Its embeddings come from a real sentence-embedding model, all-MiniLM-L6-v2,
 * which runs in-process and offline from its Maven artifact; its 384 dimensions are padded with
 * zeros to the store's.
 */
public final class UserLifecycle {
  /** Where the example writes when {@code DATABASE_URL} is unset. */
  public static final String EXAMPLE_FILE = "data/polydb-example.db";

  /** The model's name, recorded as the store's embedding model. */
  public static final String MODEL_NAME = "all-MiniLM-L6-v2";

  private final DbProvider db;
  private final Consumer<String> out;
  private final EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();

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
    String url = System.getenv("DATABASE_URL");
    DbConfig config =
        DbConfig.builder()
            .fromEnv(System.getenv())
            .url(url == null || url.isBlank() ? "sqlite:" + EXAMPLE_FILE : url)
            .build();
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
    RotationResult retried = db.refreshTokens().rotate(first.token(), user.id());
    out.accept(
        "same old token again at once (a second tab, a retry): "
            + retried.getClass().getSimpleName()
            + ", same new token "
            + retried.issued().map(t -> t.token().equals(second.token())).orElse(false));
    IssuedToken third = db.refreshTokens().rotate(second.token(), user.id()).issued().orElseThrow();
    RotationResult replay = db.refreshTokens().rotate(first.token(), user.id());
    out.accept(
        "old token replayed after the next rotation: "
            + replay.getClass().getSimpleName()
            + ", family revoked, newest token valid "
            + db.refreshTokens().findValid(third.token()).isPresent());

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
                chunk(subject + "-c0", user, "guide", 0, "Brewing coffee with a French press"),
                chunk(subject + "-c1", user, "guide", 1, "Steeping green tea at the right heat"),
                chunk(subject + "-c2", user, "notes", 0, "Fixing a flat tyre on a bicycle")));
    out.accept("search \"coffee\": " + found(search("coffee", 2, SearchScope.user(user.id()))));
    out.accept(
        "search \"mending a punctured bike wheel\": "
            + found(search("mending a punctured bike wheel", 1, SearchScope.user(user.id()))));
    out.accept(
        "search \"coffee\" in the notes only: "
            + found(search("coffee", 1, SearchScope.user(user.id()).documents("notes"))));

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
            + search("coffee", 2, SearchScope.user(user.id())).size()
            + ", subscription events kept "
            + db.subscriptions().listEvents("stripe", "sub_" + subject).size());
  }

  private Chunk chunk(String id, User owner, String document, int index, String text) {
    return Chunk.of(id, owner.id(), document, index, text, Map.of(), embed(text), MODEL_NAME);
  }

  private List<ChunkMatch> search(String text, int k, SearchScope scope) {
    return db.vectors().search(embed(text), k, scope);
  }

  private static String found(List<ChunkMatch> matches) {
    return matches.stream()
        .map(m -> m.chunk().text() + String.format(Locale.ROOT, " (distance %.2f)", m.distance()))
        .toList()
        .toString();
  }

  /**
   * The model's embedding of the text, padded with zeros to the store's dimension: zeros change no
   * distance, so the example runs on a store of any dimension from 384 up.
   */
  private float[] embed(String text) {
    float[] vector = model.embed(text).content().vector();
    int dimension = db.vectors().settings().dimension();
    if (dimension < vector.length) {
      throw new IllegalStateException(
          "the example's model makes "
              + vector.length
              + "-dimensional embeddings; the store takes "
              + dimension);
    }
    return Arrays.copyOf(vector, dimension);
  }
}
