package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.polydb.api.DbProvider;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.RefreshTokens;
import dev.polydb.api.RotationResult;
import dev.polydb.api.RotationResult.AlreadyRotated;
import dev.polydb.api.RotationResult.Invalid;
import dev.polydb.api.RotationResult.Reason;
import dev.polydb.api.RotationResult.ReuseDetected;
import dev.polydb.api.RotationResult.Rotated;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.SubscriptionUpdate.Outcome;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The races run on every build: concurrent rotation, first sign-in, a subscription's events and
 * expiry sweeps.
 */
public abstract class RacesContract {

  private static final int THREADS = 8;
  private static final int MAX_THREADS = 16;
  private static final int SIGN_IN_ROUNDS = 20;
  private static final int SWEEP_ROUNDS = 3;
  private static final int SUBSCRIPTIONS_PER_SWEEP = 50;
  private static final int EVENT_ROUNDS = 20;

  /** Generous: the suite runs on small CI machines next to other builds. */
  private static final long WAIT_SECONDS = 60;

  private ExecutorService pool;

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  @BeforeEach
  void startPool() {
    AtomicInteger n = new AtomicInteger();
    pool =
        Executors.newFixedThreadPool(
            MAX_THREADS,
            r -> {
              Thread t = new Thread(r, "polydb-race-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  @AfterEach
  void stopPool() throws InterruptedException {
    if (pool == null) {
      return; // the test was skipped before the pool started (no database)
    }
    pool.shutdownNow();
    if (!pool.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS)) {
      fail("race threads still running %d s after the test ended", WAIT_SECONDS);
    }
  }

  /**
   * Two tabs refreshing at once must not sign the user out: with the default settings (a 10 s reuse
   * grace window) every racing caller gets the one new token, or "already rotated", and reuse
   * detection never fires.
   */
  @ParameterizedTest(name = "{0} threads, {1} trials")
  @CsvSource({"3, 300", "8, 200", "16, 100"})
  void racingRotationsWithTheDefaultsNeverTriggerReuseDetection(int threads, int trials)
      throws InterruptedException {
    DbProvider db = fixture().db();
    RefreshTokens tokens = db.refreshTokens();
    String userId = db.users().create("google", "rotator", UserProfile.EMPTY).id();

    for (int trial = 0; trial < trials; trial++) {
      IssuedToken original = tokens.issue(userId);

      List<RotationResult> results = rotateTogether(tokens, original, userId, threads);

      String context = "trial " + trial + ": " + results;
      assertThat(results)
          .as("no racing caller may be taken for a replay; %s", context)
          .noneMatch(ReuseDetected.class::isInstance)
          .allMatch(r -> r instanceof Rotated || r instanceof AlreadyRotated);
      Set<String> issued =
          results.stream()
              .filter(Rotated.class::isInstance)
              .map(r -> ((Rotated) r).next().token())
              .collect(Collectors.toSet());
      assertThat(issued).as("one new token, handed to every winner; %s", context).hasSize(1);
      String next = issued.iterator().next();
      assertThat(tokens.findValid(next))
          .as(context)
          .hasValueSatisfying(t -> assertThat(t.parentId()).contains(original.record().id()));
      assertThat(tokens.findValid(original.token())).as(context).isEmpty();
    }
  }

  /** The grace window is no loophole: after it, presenting the rotated token is still reuse. */
  @Test
  void aReplayAfterTheRaceAndTheGraceWindowIsReuse() throws InterruptedException {
    DbProvider db = fixture().db();
    RefreshTokens tokens = db.refreshTokens();
    String userId = db.users().create("google", "rotator", UserProfile.EMPTY).id();
    IssuedToken original = tokens.issue(userId);
    List<RotationResult> results = rotateTogether(tokens, original, userId, THREADS);
    IssuedToken next =
        results.stream()
            .filter(Rotated.class::isInstance)
            .map(r -> ((Rotated) r).next())
            .findFirst()
            .orElseThrow();

    fixture().clock().advance(db.config().refreshReuseGrace().plusMillis(1));

    assertThat(tokens.rotate(original.token(), userId))
        .isEqualTo(new ReuseDetected(original.record().familyId(), 2));
    assertThat(tokens.findValid(next.token())).isEmpty();
  }

  /**
   * With the grace window turned off a caller that began while the token was live still never gets
   * a second token; it may be told "already rotated", or be taken for a replay when it read the
   * token after the winner's commit.
   */
  @Test
  void racingRotationsWithoutAGraceWindowHaveExactlyOneWinner() throws InterruptedException {
    DbProvider db = fixture().openFresh(b -> b.refreshReuseGrace(Duration.ZERO));
    RefreshTokens tokens = db.refreshTokens();
    String userId = db.users().create("google", "rotator", UserProfile.EMPTY).id();

    for (int trial = 0; trial < 200; trial++) {
      IssuedToken original = tokens.issue(userId);

      List<RotationResult> results = rotateTogether(tokens, original, userId, THREADS);

      String context = "trial " + trial + ": " + results;
      List<IssuedToken> winners =
          results.stream()
              .filter(Rotated.class::isInstance)
              .map(r -> ((Rotated) r).next())
              .collect(Collectors.toList());
      assertThat(winners).as(context).hasSize(1);
      boolean reuse = results.stream().anyMatch(ReuseDetected.class::isInstance);
      for (RotationResult r : results) {
        boolean expected =
            r instanceof Rotated
                || r instanceof AlreadyRotated
                || r instanceof ReuseDetected
                // once a reuse detection revoked the family, a later caller finds it revoked
                || (reuse && r.equals(new Invalid(Reason.REVOKED)));
        assertThat(expected).as("unexpected result %s in %s", r, context).isTrue();
      }
      IssuedToken winner = winners.get(0);
      assertThat(winner.record().parentId()).as(context).contains(original.record().id());
      assertThat(tokens.findValid(original.token())).as(context).isEmpty();
      assertThat(tokens.findValid(winner.token()).isPresent()).as(context).isEqualTo(!reuse);
    }
  }

  private List<RotationResult> rotateTogether(
      RefreshTokens tokens, IssuedToken token, String userId, int threads)
      throws InterruptedException {
    List<Callable<RotationResult>> calls = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      calls.add(() -> tokens.rotate(token.token(), userId));
    }
    return runTogether(calls);
  }

  @Test
  void concurrentFirstSignInsCreateOneUser() throws InterruptedException {
    DbProvider db = fixture().db();

    for (int round = 0; round < SIGN_IN_ROUNDS; round++) {
      String subject = "first-sign-in-" + round;
      List<Callable<User>> calls = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        UserProfile profile = UserProfile.of(null, "caller " + i, null);
        calls.add(() -> db.users().upsert("google", subject, profile));
      }

      List<User> users = runTogether(calls);

      String context = "round " + round + ": " + users;
      String id = users.get(0).id();
      assertThat(users).as(context).extracting(User::id).containsOnly(id);
      assertThat(users).as(context).extracting(User::providerSubject).containsOnly(subject);
      assertThat(db.users().findByProvider("google", subject))
          .as(context)
          .hasValueSatisfying(u -> assertThat(u.id()).isEqualTo(id));
    }
  }

  @Test
  void concurrentExpirySweepsExpireEachSubscriptionOnce() throws InterruptedException {
    DbProvider db = fixture().db();
    TestClock clock = fixture().clock();

    for (int round = 0; round < SWEEP_ROUNDS; round++) {
      List<String> externalIds = new ArrayList<>();
      for (int i = 0; i < SUBSCRIPTIONS_PER_SWEEP; i++) {
        String tag = round + "_" + i;
        String userId = db.users().create("google", "sweep-" + tag, UserProfile.EMPTY).id();
        Subscription sub =
            db.subscriptions()
                .upsertActive(
                    SubscriptionChange.builder()
                        .userId(userId)
                        .provider("stripe")
                        .externalId("sub_" + tag)
                        .plan("pro")
                        .status(SubscriptionStatus.ACTIVE)
                        .currentPeriodEnd(clock.instant().plus(Duration.ofDays(1)))
                        .eventType("created")
                        .providerEventId("evt_" + tag)
                        .occurredAt(clock.instant())
                        .build())
                .subscription();
        externalIds.add(sub.externalId());
      }
      Instant now = clock.advance(Duration.ofDays(2));
      List<Callable<Integer>> sweeps = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        sweeps.add(() -> db.subscriptions().runExpirySweep(now));
      }

      List<Integer> counts = runTogether(sweeps);

      String context = "round " + round + ": sweeps returned " + counts;
      assertThat(counts.get(0) + counts.get(1)).as(context).isEqualTo(SUBSCRIPTIONS_PER_SWEEP);
      for (String externalId : externalIds) {
        assertThat(db.subscriptions().findByExternalId("stripe", externalId))
            .as(context)
            .hasValueSatisfying(s -> assertThat(s.status()).isEqualTo(SubscriptionStatus.EXPIRED));
        List<SubscriptionEvent> events = db.subscriptions().listEvents("stripe", externalId);
        assertThat(events)
            .as("%s; events of %s", context, externalId)
            .filteredOn(e -> e.type().equals("expired"))
            .hasSize(1);
      }
      assertThat(db.subscriptions().runExpirySweep(now)).as(context).isZero();
    }
  }

  /**
   * A provider delivering a subscription's events at once, each of them twice: whatever order they
   * commit in, every event is logged once, each delivery after the first is a duplicate, and the
   * subscription ends in the state of the latest event, never an older one written last. Every
   * other round the subscription does not exist yet, so the first events race to create it. (Where
   * write transactions are serialized, as on SQLite, this holds by construction; on an engine with
   * row locks it checks that a user's subscription changes apply one at a time.)
   */
  @Test
  void racingEventsOfOneSubscriptionEndInTheLatestEventsState() throws InterruptedException {
    DbProvider db = fixture().db();
    TestClock clock = fixture().clock();

    for (int round = 0; round < EVENT_ROUNDS; round++) {
      String userId = db.users().create("google", "events-" + round, UserProfile.EMPTY).id();
      String externalId = "sub_events_" + round;
      Instant start = clock.instant();
      boolean created = round % 2 == 0;
      if (created) {
        db.subscriptions()
            .upsertActive(event(userId, externalId, "evt_" + round + "_start", start, 0));
      }
      List<Callable<SubscriptionUpdate>> calls = new ArrayList<>();
      for (int i = 1; i <= THREADS / 2; i++) {
        SubscriptionChange change =
            event(userId, externalId, "evt_" + round + "_" + i, start.plusSeconds(i), i);
        calls.add(() -> db.subscriptions().upsertActive(change));
        calls.add(() -> db.subscriptions().upsertActive(change));
      }

      List<SubscriptionUpdate> updates = runTogether(calls);

      String context = "round " + round + ": " + updates;
      Map<String, List<SubscriptionUpdate>> deliveries =
          updates.stream().collect(Collectors.groupingBy(u -> u.event().providerEventId()));
      assertThat(deliveries).as(context).hasSize(THREADS / 2);
      deliveries.forEach(
          (eventId, twice) -> {
            assertThat(twice)
                .as("%s; deliveries of %s", context, eventId)
                .extracting(SubscriptionUpdate::outcome)
                .containsOnlyOnce(Outcome.DUPLICATE)
                .containsAnyOf(Outcome.APPLIED, Outcome.STALE)
                .hasSize(2);
            assertThat(twice)
                .as("%s; the event both deliveries of %s return", context, eventId)
                .extracting(u -> u.event().id())
                .containsOnly(twice.get(0).event().id());
          });
      assertThat(db.subscriptions().listEvents("stripe", externalId))
          .as(context)
          .hasSize((created ? 1 : 0) + THREADS / 2);
      assertThat(db.subscriptions().findByExternalId("stripe", externalId))
          .as(context)
          .hasValueSatisfying(s -> assertThat(s.plan()).isEqualTo("plan_" + THREADS / 2));
    }
  }

  private static SubscriptionChange event(
      String userId, String externalId, String eventId, Instant at, int plan) {
    return SubscriptionChange.builder()
        .userId(userId)
        .provider("stripe")
        .externalId(externalId)
        .plan("plan_" + plan)
        .status(SubscriptionStatus.ACTIVE)
        .currentPeriodEnd(at.plus(Duration.ofDays(30)))
        .eventType(plan == 0 ? "created" : "updated")
        .providerEventId(eventId)
        .occurredAt(at)
        .build();
  }

  /**
   * Runs the calls on the pool, releasing them at once, and returns their results in order. Fails
   * the test when a call throws or when they do not all finish in time.
   */
  private <T> List<T> runTogether(List<Callable<T>> calls) throws InterruptedException {
    CyclicBarrier start = new CyclicBarrier(calls.size());
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> call : calls) {
      futures.add(
          pool.submit(
              () -> {
                start.await(WAIT_SECONDS, TimeUnit.SECONDS);
                return call.call();
              }));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      try {
        results.add(f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (ExecutionException e) {
        futures.forEach(other -> other.cancel(true));
        throw new AssertionError("a concurrent call failed: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        futures.forEach(other -> other.cancel(true));
        throw new AssertionError(
            calls.size() + " concurrent calls did not finish within " + WAIT_SECONDS + " s", e);
      }
    }
    return results;
  }
}
