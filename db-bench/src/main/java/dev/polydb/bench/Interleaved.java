package dev.polydb.bench;

import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.User;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The library and its hand-written baseline called in turn, one call each, in one process: where
 * JMH measures each side in a fork of its own, one after the other, a difference between the two
 * forks' conditions (the server's state, the machine's other load, what the JIT made of each)
 * counts as a difference between the sides; here both meet the same conditions. For the operations
 * whose JMH ratios moved across their goal between runs (see BENCHMARKS.md), with the same
 * baselines as {@link HotPaths}.
 *
 * <p>Prints one line per operation and round ({@code interleaved: } then JSON: the round's p50 of
 * each side and their ratio) and, per operation, a last line with the median ratio over the rounds
 * and its spread.
 *
 * <p>{@code java -cp db-bench/target/benchmarks.jar dev.polydb.bench.Interleaved [--backend
 * postgres|sqlite] [--operations a,b] [--rounds 24] [--calls 500] [--warmup 2000]}, with {@code
 * TEST_DATABASE_URL} naming the Postgres server.
 */
public final class Interleaved {
  private static final String CONTENT =
      "Walked to the market before the rain; bought pears, bread and a newspaper.";

  /** One side of a comparison: a call and what it returns. */
  @FunctionalInterface
  private interface Call {
    Object run() throws SQLException;
  }

  private record Pair(Call library, Call baseline) {}

  private final Fixture fixture;
  private final Jdbc jdbc;
  private final Instant subscribedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  private long events;

  private Interleaved(Fixture fixture) {
    this.fixture = fixture;
    this.jdbc = new Jdbc(fixture.pool, fixture.postgres());
  }

  /**
   * Runs the comparison.
   *
   * @param args {@code --backend}, {@code --operations} (comma-separated, all by default), {@code
   *     --rounds}, {@code --calls} per side and round, {@code --warmup} calls per side
   * @throws SQLException if a baseline fails
   */
  public static void main(String[] args) throws SQLException {
    Map<String, String> options =
        Options.parse(
            args,
            Map.of(
                "backend", "postgres",
                "operations", "",
                "rounds", "24",
                "calls", "500",
                "warmup", "2000"));
    int rounds = Options.number(options, "rounds");
    int calls = Options.number(options, "calls");
    int warmup = Options.number(options, "warmup");
    if (rounds < 1 || calls < 1 || warmup < 0) {
      throw new IllegalArgumentException(
          "rounds and calls must be at least 1 and warmup at least 0: " + options);
    }
    try (Fixture fixture = Fixture.open(options.get("backend"))) {
      Interleaved bench = new Interleaved(fixture);
      Map<String, Pair> all = bench.operations();
      List<String> chosen =
          options.get("operations").isEmpty()
              ? new ArrayList<>(all.keySet())
              : List.of(options.get("operations").split(","));
      for (String operation : chosen) {
        Pair pair = all.get(operation);
        if (pair == null) {
          throw new IllegalArgumentException(
              "operation must be one of " + all.keySet() + ": " + operation);
        }
        bench.compare(operation, pair, rounds, calls, warmup);
      }
    }
  }

  /**
   * The operations, each on data of its own: the upserts grow one subscription's event log, the
   * reads find another's ten events and a third user's 40 journal entries.
   */
  private Map<String, Pair> operations() {
    User upserting = fixture.users.get(0);
    User subscribed = fixture.users.get(1);
    User writer = fixture.users.get(2);
    fixture.db.subscriptions().upsertActive(next(upserting, "setup"));
    for (int i = 0; i < 10; i++) {
      fixture.db.subscriptions().upsertActive(next(subscribed, "setup"));
    }
    for (int i = 0; i < 40; i++) {
      fixture.db.journal().insert(writer.id(), CONTENT + " (" + i + ")");
    }
    String external = externalId(subscribed);
    Map<String, Pair> operations = new LinkedHashMap<>();
    operations.put(
        "subscriptionsUpsert",
        new Pair(
            () -> applied(fixture.db.subscriptions().upsertActive(next(upserting, "library"))),
            () -> jdbc.applySubscriptionEvent(next(upserting, "jdbc"))));
    operations.put(
        "subscriptionsFindByExternalId",
        new Pair(
            () -> fixture.db.subscriptions().findByExternalId("stripe", external).orElseThrow(),
            () -> jdbc.findSubscription("stripe", external).orElseThrow()));
    operations.put(
        "subscriptionsFindLatest",
        new Pair(
            () -> fixture.db.subscriptions().findLatest(subscribed.id()).orElseThrow(),
            () -> jdbc.findLatestSubscription(subscribed.id()).orElseThrow()));
    operations.put(
        "subscriptionsListEvents",
        new Pair(
            () -> fixture.db.subscriptions().listEvents("stripe", external),
            () -> jdbc.listSubscriptionEvents("stripe", external)));
    operations.put(
        "journalListBefore20",
        new Pair(
            () -> fixture.db.journal().listBefore(writer.id(), null, 20),
            () -> jdbc.firstEntriesPage(writer.id(), 20)));
    String older =
        fixture.db.journal().listBefore(writer.id(), null, 20).nextCursor().orElseThrow();
    operations.put(
        "journalListOlder20",
        new Pair(
            () -> fixture.db.journal().listBefore(writer.id(), older, 20),
            () -> jdbc.olderEntriesPage(writer.id(), older, 20)));
    operations.put(
        "journalTotalBytes",
        new Pair(
            () -> fixture.db.journal().totalBytes(writer.id()),
            () -> jdbc.journalTotalBytes(writer.id())));
    return operations;
  }

  private void compare(String operation, Pair pair, int rounds, int calls, int warmup)
      throws SQLException {
    for (int i = 0; i < warmup; i++) {
      pair.library().run();
      pair.baseline().run();
    }
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long[] library = new long[calls];
      long[] baseline = new long[calls];
      for (int i = 0; i < calls; i++) {
        // each side goes first every other call, so that neither always follows the other
        if (i % 2 == 0) {
          library[i] = time(pair.library());
          baseline[i] = time(pair.baseline());
        } else {
          baseline[i] = time(pair.baseline());
          library[i] = time(pair.library());
        }
      }
      long libraryP50 = median(library);
      long baselineP50 = median(baseline);
      ratios[r] = (double) libraryP50 / baselineP50;
      System.out.printf(
          Locale.ROOT,
          "interleaved: {\"operation\": \"%s\", \"backend\": \"%s\", \"round\": %d,"
              + " \"libraryP50Us\": %.1f, \"jdbcP50Us\": %.1f, \"ratio\": %.3f}%n",
          operation,
          fixture.backend,
          r + 1,
          libraryP50 / 1e3,
          baselineP50 / 1e3,
          ratios[r]);
    }
    Arrays.sort(ratios);
    double median =
        rounds % 2 == 1 ? ratios[rounds / 2] : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
    System.out.printf(
        Locale.ROOT,
        "interleaved: %s on %s, library/jdbc p50 ratio, median of %d rounds %.3f"
            + " (min %.3f, max %.3f)%n",
        operation,
        fixture.backend,
        rounds,
        median,
        ratios[0],
        ratios[rounds - 1]);
  }

  private static long time(Call call) throws SQLException {
    long start = System.nanoTime();
    call.run();
    return System.nanoTime() - start;
  }

  private static Object applied(SubscriptionUpdate update) {
    if (update.outcome() != SubscriptionUpdate.Outcome.APPLIED) {
      // the baseline takes this branch only: anything else would measure another path
      throw new IllegalStateException("expected the event applied, was " + update.outcome());
    }
    return update;
  }

  private static String externalId(User user) {
    return "sub-" + user.id();
  }

  /** The user's subscription's next event, a millisecond after the one before: never stale. */
  private SubscriptionChange next(User user, String variant) {
    long n = events++;
    return SubscriptionChange.builder()
        .userId(user.id())
        .provider("stripe")
        .externalId(externalId(user))
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
