package dev.polydb.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbProvider;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.SearchScope;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes in every area through a provider and reads them back through another, for the mirror
 * tests: what a user can see on the mirror must be what the primary shows.
 */
final class Workload {
  static final float[] QUERY = {1f, 0.5f, 0f, 0.25f};

  final List<String> users = new ArrayList<>();
  final List<String> tokens = new ArrayList<>();
  final List<String> jtis = new ArrayList<>();

  /**
   * One round of writes for a new user: create, profile change, tokens issued, rotated and revoked,
   * a subscription and its events, journal inserts, an update and a delete, a revoked JWT id,
   * chunks upserted and one document deleted. Every third user is deleted at the end of its round,
   * with its rows.
   */
  void round(DbProvider db, String name) {
    User user =
        db.users().create("google", "sub-" + name, UserProfile.of(name + "@x.test", name, null));
    db.users()
        .upsert(
            "google",
            "sub-" + name,
            UserProfile.of(name + "@y.test", "New " + name, "https://a/" + name));
    IssuedToken first = db.refreshTokens().issue(user.id());
    IssuedToken second = db.refreshTokens().rotate(first.token(), user.id()).issued().orElseThrow();
    IssuedToken other = db.refreshTokens().issue(user.id());
    db.refreshTokens().revoke(other.token());
    tokens.add(first.token());
    tokens.add(second.token());
    tokens.add(other.token());
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    db.subscriptions().upsertActive(change(user.id(), name, "evt-1-" + name, "pro", start));
    db.subscriptions()
        .upsertActive(change(user.id(), name, "evt-2-" + name, "team", start.plusSeconds(60)));
    db.journal().insert(user.id(), "first of " + name + " \u00e9\u270d 'quoted' \"and\" \\");
    String updated = db.journal().insert(user.id(), "second of " + name).id();
    String deleted = db.journal().insert(user.id(), "third of " + name).id();
    db.journal().update(user.id(), updated, "second of " + name + ", edited");
    db.journal().delete(user.id(), deleted);
    String jti = "jti-" + name;
    db.jtis().revoke(jti, user.id(), Instant.now().plus(Duration.ofHours(1)));
    jtis.add(jti);
    db.vectors()
        .upsert(
            List.of(
                chunk("a-" + name, user.id(), "doc-a", 0, new float[] {1f, 0.5f, 0f, 0.25f}),
                chunk("b-" + name, user.id(), "doc-a", 1, new float[] {0.1f, 1e-7f, -3.5f, 2f}),
                chunk("c-" + name, user.id(), "doc-b", 0, new float[] {0f, 1f, 0f, 0f})));
    db.vectors().deleteByDocument(user.id(), "doc-b");
    users.add(user.id());
    if (users.size() % 3 == 0) {
      db.users().delete(users.get(users.size() - 2));
    }
  }

  private static Chunk chunk(String id, String userId, String doc, int index, float[] embedding) {
    return Chunk.of(
        id,
        userId,
        doc,
        index,
        "text " + id,
        Map.of("lang", "en", "n", String.valueOf(index)),
        embedding,
        "model-1");
  }

  private static SubscriptionChange change(
      String userId, String name, String event, String plan, Instant at) {
    return SubscriptionChange.builder()
        .userId(userId)
        .provider("stripe")
        .externalId("sub-" + name)
        .plan(plan)
        .status(SubscriptionStatus.ACTIVE)
        .currentPeriodEnd(at.plus(Duration.ofDays(30)))
        .eventType("updated")
        .providerEventId(event)
        .occurredAt(at)
        .payloadJson("{\"id\": \"" + event + "\", \"n\": 1.50}")
        .build();
  }

  /** Everything the workload wrote reads the same through both providers. */
  void assertSame(DbProvider expected, DbProvider actual) {
    for (String id : users) {
      assertThat(actual.users().findById(id)).isEqualTo(expected.users().findById(id));
      assertThat(actual.journal().list(id, 100, 0)).isEqualTo(expected.journal().list(id, 100, 0));
      assertThat(actual.journal().totalBytes(id)).isEqualTo(expected.journal().totalBytes(id));
      assertThat(actual.subscriptions().findLatest(id))
          .isEqualTo(expected.subscriptions().findLatest(id));
      assertThat(actual.vectors().search(QUERY, 10, SearchScope.user(id)))
          .extracting(m -> m.chunk().id())
          .isEqualTo(
              expected.vectors().search(QUERY, 10, SearchScope.user(id)).stream()
                  .map(m -> m.chunk().id())
                  .toList());
    }
    for (String token : tokens) {
      assertThat(actual.refreshTokens().findValid(token))
          .isEqualTo(expected.refreshTokens().findValid(token));
    }
    for (String jti : jtis) {
      assertThat(actual.jtis().isRevoked(jti)).isEqualTo(expected.jtis().isRevoked(jti));
    }
  }
}
