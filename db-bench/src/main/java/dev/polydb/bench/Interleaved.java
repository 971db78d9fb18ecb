package dev.polydb.bench;

import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.User;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The library and its hand-written baseline called in turn, one call each, in one process: where
 * JMH measures each in a fork of its own, one after the other, a difference between the two forks'
 * conditions (the server's state, the machine's other load) counts as the library's or the
 * baseline's; here both meet the same conditions. For the Postgres operation whose JMH ratio stayed
 * above its goal, {@code subscriptions.upsertActive}: both apply the next event of one
 * subscription, so both update the same row.
 *
 * <p>Prints one line per round ({@code interleaved: } then JSON: the round's p50 of each side and
 * their ratio) and a last line with the median ratio over the rounds and its spread.
 *
 * <p>{@code java -cp db-bench/target/benchmarks.jar dev.polydb.bench.Interleaved [--rounds 24]
 * [--calls 500] [--warmup 2000]}, with {@code TEST_DATABASE_URL} naming the Postgres server.
 */
public final class Interleaved {
  private final Fixture fixture;
  private final Jdbc jdbc;
  private final User user;
  private final Instant subscribedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  private long events;

  private Interleaved(Fixture fixture) {
    this.fixture = fixture;
    this.jdbc = new Jdbc(fixture.pool, fixture.postgres());
    this.user = fixture.users.get(0);
  }

  /**
   * Runs the comparison.
   *
   * @param args {@code --rounds}, {@code --calls} per side and round, {@code --warmup} calls
   * @throws SQLException if the baseline fails
   */
  public static void main(String[] args) throws SQLException {
    Map<String, Integer> options = new LinkedHashMap<>();
    options.put("rounds", 24);
    options.put("calls", 500);
    options.put("warmup", 2_000);
    for (int i = 0; i < args.length; i += 2) {
      String name = args[i].replaceFirst("^--", "");
      if (!options.containsKey(name) || i + 1 == args.length) {
        throw new IllegalArgumentException(
            "option must be one of " + options.keySet() + " with a number: " + args[i]);
      }
      options.put(name, Integer.parseInt(args[i + 1].replace("_", "")));
    }
    try (Fixture fixture = Fixture.open("postgres")) {
      new Interleaved(fixture).run(options);
    }
  }

  private void run(Map<String, Integer> options) throws SQLException {
    int calls = options.get("calls");
    int rounds = options.get("rounds");
    library(); // creates the subscription: every later event updates it
    for (int i = 0; i < options.get("warmup"); i++) {
      library();
      baseline();
    }
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long[] library = new long[calls];
      long[] baseline = new long[calls];
      for (int i = 0; i < calls; i++) {
        long start = System.nanoTime();
        library();
        long middle = System.nanoTime();
        baseline();
        library[i] = middle - start;
        baseline[i] = System.nanoTime() - middle;
      }
      long libraryP50 = median(library);
      long baselineP50 = median(baseline);
      ratios[r] = (double) libraryP50 / baselineP50;
      System.out.printf(
          Locale.ROOT,
          "interleaved: {\"operation\": \"subscriptionsUpsert\", \"round\": %d,"
              + " \"libraryP50Us\": %.1f, \"jdbcP50Us\": %.1f, \"ratio\": %.3f}%n",
          r + 1,
          libraryP50 / 1e3,
          baselineP50 / 1e3,
          ratios[r]);
    }
    Arrays.sort(ratios);
    System.out.printf(
        Locale.ROOT,
        "interleaved: subscriptionsUpsert library/jdbc p50 ratio, median of %d rounds %.3f"
            + " (min %.3f, max %.3f)%n",
        rounds,
        ratios[rounds / 2],
        ratios[0],
        ratios[rounds - 1]);
  }

  private void library() {
    SubscriptionUpdate update = fixture.db.subscriptions().upsertActive(next("library"));
    if (update.outcome() != SubscriptionUpdate.Outcome.APPLIED) {
      throw new IllegalStateException("expected the event applied, was " + update.outcome());
    }
  }

  private void baseline() throws SQLException {
    jdbc.applySubscriptionEvent(next("jdbc"));
  }

  /** The subscription's next event, a millisecond after the one before: never stale. */
  private SubscriptionChange next(String variant) {
    long n = events++;
    return SubscriptionChange.builder()
        .userId(user.id())
        .provider("stripe")
        .externalId("sub-" + user.id())
        .plan(n % 2 == 0 ? "pro" : "team")
        .status(SubscriptionStatus.ACTIVE)
        .currentPeriodEnd(subscribedAt.plus(30, ChronoUnit.DAYS))
        .eventType(n == 0 ? "created" : "updated")
        .providerEventId("evt-" + variant + "-" + n)
        .occurredAt(subscribedAt.plusMillis(n))
        .payloadJson("{\"plan\":\"" + (n % 2 == 0 ? "pro" : "team") + "\"}")
        .build();
  }

  private static long median(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
