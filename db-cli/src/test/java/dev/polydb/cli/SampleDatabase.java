package dev.polydb.cli;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.RotationResult;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A SQLite database written through the library, covering every table and the edge values a copy
 * must keep: NULL beside '', the longest strings, 1 MiB entries, emoji and right-to-left text, JSON
 * with unicode escapes, timestamps at years 1 and 9999, vectors of any dimension.
 */
final class SampleDatabase {
  static final String MODEL = "sample-model";
  static final String EMOJI_RTL =
      "emoji \uD83D\uDE00\uD83C\uDDE9\uD83C\uDDEA and \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627";
  static final String UNICODE_JSON =
      "{\"note\":\"caf\\u00e9 \\ud83d\\ude00\",\"rtl\":\"\u05E9\u05DC\u05D5\u05DD\",\"n\":1.50}";

  private SampleDatabase() {}

  /**
   * Writes the sample.
   *
   * @param file the SQLite file, created
   * @param dimension the vector dimension
   * @param users how many ordinary users, each with tokens, entries, chunks
   * @return the URL of the file
   */
  static String write(Path file, int dimension, int users) {
    String url = "sqlite:" + file;
    write(DbConfig.builder().url(url), dimension, users, "");
    return url;
  }

  /**
   * Writes the sample through a provider opened with the given settings, in any mode.
   *
   * @param settings the settings; the clock, dimension and model are set here
   * @param dimension the vector dimension
   * @param users how many ordinary users
   * @param prefix put before every unique name, so that a database can take the sample twice
   */
  static void write(DbConfig.Builder settings, int dimension, int users, String prefix) {
    TestClock clock = new TestClock(Instant.parse("0001-01-01T00:00:00.001Z"));
    DbConfig config =
        settings.clock(clock).vectorDimension(dimension).embeddingModel(MODEL).build();
    Random random = new Random(7);
    try (DbProvider db = DbProviders.open(config)) {
      // year 1: a user whose timestamps sit at the earliest instant the library takes
      User ancient =
          db.users()
              .create(
                  "google",
                  prefix + "x".repeat(255 - prefix.length()),
                  UserProfile.of(null, "", null));
      db.journal().insert(ancient.id(), "");
      clock.set(Instant.parse("9999-12-30T23:59:59.999Z"));
      User future =
          db.users()
              .create(
                  "apple",
                  prefix + "future",
                  UserProfile.of("e".repeat(320), "d".repeat(256), "a".repeat(2048)));
      db.journal().insert(future.id(), "x".repeat(1 << 20));
      db.jtis().revoke(prefix + "jti-future", future.id(), Instant.parse("9999-12-31T00:00:00Z"));
      clock.set(Instant.parse("2026-01-02T03:04:05.678Z"));
      User rich =
          db.users().create("github", prefix + EMOJI_RTL, UserProfile.of(null, EMOJI_RTL, ""));
      db.journal().insert(rich.id(), EMOJI_RTL);
      db.subscriptions()
          .upsertActive(
              new SubscriptionChange(
                  rich.id(),
                  "stripe",
                  prefix + "sub-rich",
                  "pro",
                  SubscriptionStatus.ACTIVE,
                  Optional.of(Instant.parse("9999-12-31T23:59:59.999Z")),
                  true,
                  "created",
                  prefix + "evt-rich",
                  Instant.parse("0001-01-01T00:00:00Z"),
                  UNICODE_JSON));
      db.vectors()
          .upsert(
              List.of(
                  Chunk.of(
                      prefix + "chunk-rich",
                      rich.id(),
                      "doc-rich",
                      0,
                      EMOJI_RTL,
                      Map.of("lang", "he", "title", EMOJI_RTL, "empty", ""),
                      vector(random, dimension),
                      MODEL)));
      for (int u = 0; u < users; u++) {
        clock.advance(Duration.ofMillis(1 + random.nextInt(1000)));
        User user =
            db.users()
                .create("google", prefix + "user-" + u, UserProfile.of("u" + u + "@x", null, null));
        var token = db.refreshTokens().issue(user.id());
        for (int r = 0; r < 3; r++) {
          clock.advance(Duration.ofSeconds(11));
          token =
              ((RotationResult.Rotated) db.refreshTokens().rotate(token.token(), user.id())).next();
        }
        for (int j = 0; j < 5; j++) {
          db.journal().insert(user.id(), "entry " + j + " of " + u + " " + EMOJI_RTL);
        }
        db.jtis().revoke(prefix + "jti-" + u, user.id(), clock.instant().plusSeconds(3600));
        List<Chunk> chunks = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
          chunks.add(
              Chunk.of(
                  prefix + "chunk-" + u + "-" + c,
                  user.id(),
                  "doc-" + u,
                  c,
                  "text " + c,
                  Map.of("k", "v" + c),
                  vector(random, dimension),
                  MODEL));
        }
        db.vectors().upsert(chunks);
        if (u % 3 == 0) {
          db.subscriptions()
              .upsertActive(
                  new SubscriptionChange(
                      user.id(),
                      "stripe",
                      prefix + "sub-" + u,
                      "basic",
                      u % 2 == 0 ? SubscriptionStatus.ACTIVE : SubscriptionStatus.CANCELED,
                      Optional.empty(),
                      false,
                      "updated",
                      prefix + "evt-" + u,
                      clock.instant(),
                      "{\"id\": \"evt-" + u + "\",  \"amount\": 12.50 }"));
        }
      }
      // a deleted user: events and revoked JWT ids stay with their user reference cleared
      User leaver = db.users().create("google", prefix + "leaver", UserProfile.EMPTY);
      db.subscriptions()
          .upsertActive(
              new SubscriptionChange(
                  leaver.id(),
                  "stripe",
                  prefix + "sub-leaver",
                  "pro",
                  SubscriptionStatus.ACTIVE,
                  Optional.empty(),
                  false,
                  "created",
                  prefix + "evt-leaver",
                  clock.instant(),
                  "{}"));
      db.jtis().revoke(prefix + "jti-leaver", leaver.id(), Instant.parse("9999-01-01T00:00:00Z"));
      db.users().delete(leaver.id());
    }
  }

  static float[] vector(Random random, int dimension) {
    float[] v = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
