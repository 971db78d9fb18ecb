package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.SubscriptionUpdate.Outcome;
import dev.polydb.api.Subscriptions;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §6 subscriptions: upsert with its event, idempotent webhooks, late events, expiry. */
public abstract class SubscriptionsContract {

  private static final Instant START = DbProviderContract.START;
  private static final String UUID_PATTERN =
      "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
  private static final String MISSING_USER = "01900000-0000-7000-8000-000000000000";

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  private Subscriptions subs() {
    return fixture().db().subscriptions();
  }

  private String newUser(String subject) {
    return newUser(fixture().db(), subject);
  }

  private static String newUser(DbProvider db, String subject) {
    return db.users().create("google", subject, UserProfile.EMPTY).id();
  }

  /** A valid active change at {@code stripe}, occurring now, ending 30 days from now. */
  private SubscriptionChange.Builder change(String userId, String externalId, String eventId) {
    Instant now = fixture().clock().instant();
    return SubscriptionChange.builder()
        .userId(userId)
        .provider("stripe")
        .externalId(externalId)
        .plan("pro-monthly")
        .status(SubscriptionStatus.ACTIVE)
        .currentPeriodEnd(now.plus(Duration.ofDays(30)))
        .eventType("created")
        .providerEventId(eventId)
        .occurredAt(now);
  }

  private static void assertValidation(String field, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo(field));
  }

  @Test
  void upsertActiveCreatesSubscriptionAndEvent() {
    String user = newUser("s1");
    Instant now = fixture().clock().instant();
    String payload =
        "{ \"id\" : \"evt_1\",\n\t\"customer\":\"Zoë 😀 שלום\",  \"amount\": 1.50e2 ,"
            + "\"escaped\":\"\\u00e9\\n\" }\r\n";
    SubscriptionChange c =
        change(user, "sub_1", "evt_1")
            .currentPeriodEnd(START.plus(Duration.ofDays(30)))
            .cancelAtPeriodEnd(true)
            .payloadJson(payload)
            .build();

    SubscriptionUpdate result = subs().upsertActive(c);

    assertThat(result.outcome()).isEqualTo(Outcome.APPLIED);
    Subscription s = result.subscription();
    assertThat(s.id()).matches(UUID_PATTERN);
    assertThat(s.userId()).isEqualTo(user);
    assertThat(s.provider()).isEqualTo("stripe");
    assertThat(s.externalId()).isEqualTo("sub_1");
    assertThat(s.plan()).isEqualTo("pro-monthly");
    assertThat(s.status()).isEqualTo(SubscriptionStatus.ACTIVE);
    assertThat(s.currentPeriodEnd()).contains(START.plus(Duration.ofDays(30)));
    assertThat(s.cancelAtPeriodEnd()).isTrue();
    assertThat(s.createdAt()).isEqualTo(now);
    assertThat(s.updatedAt()).isEqualTo(now);

    SubscriptionEvent e = result.event();
    assertThat(e.id()).matches(UUID_PATTERN);
    assertThat(e.userId()).contains(user);
    assertThat(e.provider()).isEqualTo("stripe");
    assertThat(e.externalId()).isEqualTo("sub_1");
    assertThat(e.type()).isEqualTo("created");
    assertThat(e.providerEventId()).isEqualTo("evt_1");
    assertThat(e.occurredAt()).isEqualTo(now);
    assertThat(e.payloadJson()).isEqualTo(payload);
    assertThat(e.recordedAt()).isEqualTo(now);

    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(s);
    assertThat(subs().listEvents("stripe", "sub_1")).containsExactly(e);
    assertThat(subs().findActive(user)).contains(s);
  }

  @Test
  void subscriptionWithoutPeriodEndRoundTrips() {
    String user = newUser("s1");
    SubscriptionUpdate result =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_1")
                    .currentPeriodEnd(null)
                    .cancelAtPeriodEnd(false)
                    .build());

    assertThat(result.subscription().currentPeriodEnd()).isEmpty();
    assertThat(result.subscription().cancelAtPeriodEnd()).isFalse();
    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(result.subscription());
    // §6 findActive: active with no period end counts as current
    assertThat(subs().findActive(user)).contains(result.subscription());
  }

  @Test
  void timestampsAreStoredWithMillisecondPrecision() {
    String user = newUser("s1");
    fixture().clock().set(START.plusNanos(1_234_567));
    Instant periodEnd = START.plus(Duration.ofDays(30)).plusNanos(987_654_321);
    Instant occurred = START.minusSeconds(5).plusNanos(555_555);

    SubscriptionUpdate result =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_1")
                    .currentPeriodEnd(periodEnd)
                    .occurredAt(occurred)
                    .build());

    Subscription stored = subs().findByExternalId("stripe", "sub_1").orElseThrow();
    assertThat(stored.createdAt()).isEqualTo(START.plusMillis(1));
    assertThat(stored.updatedAt()).isEqualTo(START.plusMillis(1));
    assertThat(stored.currentPeriodEnd()).contains(periodEnd.truncatedTo(ChronoUnit.MILLIS));
    SubscriptionEvent event = subs().listEvents("stripe", "sub_1").get(0);
    assertThat(event.occurredAt()).isEqualTo(occurred.truncatedTo(ChronoUnit.MILLIS));
    assertThat(event.recordedAt()).isEqualTo(START.plusMillis(1));
    // what the call returns is what a later read returns
    assertThat(result.subscription()).isEqualTo(stored);
    assertThat(result.event()).isEqualTo(event);
  }

  @Test
  void laterEventUpdatesTheSameSubscription() {
    String user = newUser("s1");
    SubscriptionUpdate first = subs().upsertActive(change(user, "sub_1", "evt_1").build());
    Instant later = fixture().clock().advance(Duration.ofHours(1));

    SubscriptionUpdate second =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_2")
                    .plan("pro-yearly")
                    .status(SubscriptionStatus.PAST_DUE)
                    .currentPeriodEnd(later.plus(Duration.ofDays(365)))
                    .cancelAtPeriodEnd(true)
                    .eventType("payment_failed")
                    .payloadJson("{\"n\":2}")
                    .build());

    assertThat(second.outcome()).isEqualTo(Outcome.APPLIED);
    Subscription s = second.subscription();
    assertThat(s.id()).isEqualTo(first.subscription().id());
    assertThat(s.plan()).isEqualTo("pro-yearly");
    assertThat(s.status()).isEqualTo(SubscriptionStatus.PAST_DUE);
    assertThat(s.currentPeriodEnd()).contains(later.plus(Duration.ofDays(365)));
    assertThat(s.cancelAtPeriodEnd()).isTrue();
    assertThat(s.createdAt()).isEqualTo(START);
    assertThat(s.updatedAt()).isEqualTo(later);
    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(s);
    assertThat(subs().listEvents("stripe", "sub_1"))
        .extracting(SubscriptionEvent::providerEventId, SubscriptionEvent::type)
        .containsExactly(tuple("evt_1", "created"), tuple("evt_2", "payment_failed"));
  }

  @Test
  void duplicateProviderEventIdReturnsStoredEventAndChangesNothing() {
    String user = newUser("s1");
    SubscriptionUpdate first =
        subs().upsertActive(change(user, "sub_1", "evt_1").payloadJson("{\"v\":1}").build());
    fixture().clock().advance(Duration.ofHours(1));

    SubscriptionUpdate again =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_1")
                    .plan("other-plan")
                    .status(SubscriptionStatus.CANCELED)
                    .cancelAtPeriodEnd(true)
                    .eventType("canceled")
                    .payloadJson("{\"v\":2}")
                    .build());

    assertThat(again.outcome()).isEqualTo(Outcome.DUPLICATE);
    assertThat(again.event()).isEqualTo(first.event());
    assertThat(again.event().payloadJson()).isEqualTo("{\"v\":1}");
    assertThat(again.subscription()).isEqualTo(first.subscription());
    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(first.subscription());
    assertThat(subs().listEvents("stripe", "sub_1")).containsExactly(first.event());
    assertThat(subs().findActive(user)).contains(first.subscription());
  }

  @Test
  void sameEventIdAtAnotherProviderIsNotADuplicate() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    subs().upsertActive(change(alice, "sub_1", "evt_1").build());

    SubscriptionUpdate other =
        subs().upsertActive(change(bob, "sub_1", "evt_1").provider("apple").build());

    assertThat(other.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(other.subscription().userId()).isEqualTo(bob);
    assertThat(other.event().provider()).isEqualTo("apple");
    assertThat(subs().listEvents("apple", "sub_1")).containsExactly(other.event());
    assertThat(subs().listEvents("stripe", "sub_1")).hasSize(1);
  }

  @Test
  void lateEventIsLoggedButDoesNotMoveStateBack() {
    String user = newUser("s1");
    subs().upsertActive(change(user, "sub_1", "evt_1").occurredAt(START).build());
    fixture().clock().advance(Duration.ofHours(3));
    SubscriptionUpdate canceled =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_3")
                    .status(SubscriptionStatus.CANCELED)
                    .eventType("canceled")
                    .occurredAt(START.plus(Duration.ofHours(2)))
                    .build());
    fixture().clock().advance(Duration.ofHours(1));

    SubscriptionUpdate late =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_2")
                    .status(SubscriptionStatus.ACTIVE)
                    .plan("late-plan")
                    .eventType("renewed")
                    .occurredAt(START.plus(Duration.ofHours(1)))
                    .payloadJson("{\"late\":true}")
                    .build());

    assertThat(late.outcome()).isEqualTo(Outcome.STALE);
    assertThat(late.event().providerEventId()).isEqualTo("evt_2");
    assertThat(late.event().payloadJson()).isEqualTo("{\"late\":true}");
    assertThat(late.subscription()).isEqualTo(canceled.subscription());
    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(canceled.subscription());
    assertThat(subs().findActive(user)).isEmpty();
    List<SubscriptionEvent> events = subs().listEvents("stripe", "sub_1");
    assertThat(events)
        .extracting(SubscriptionEvent::providerEventId)
        .containsExactly("evt_1", "evt_3", "evt_2");
    assertThat(events.get(2)).isEqualTo(late.event());
  }

  @Test
  void eventAtTheSameInstantAsTheLastAppliedIsApplied() {
    String user = newUser("s1");
    subs().upsertActive(change(user, "sub_1", "evt_1").occurredAt(START).build());
    fixture().clock().advance(Duration.ofMinutes(1));

    SubscriptionUpdate same =
        subs().upsertActive(change(user, "sub_1", "evt_2").plan("b").occurredAt(START).build());

    assertThat(same.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(subs().findByExternalId("stripe", "sub_1").orElseThrow().plan()).isEqualTo("b");
  }

  @Test
  void secondActiveSubscriptionForUserConflictsAndWritesNothing() {
    String user = newUser("s1");
    SubscriptionUpdate first = subs().upsertActive(change(user, "sub_1", "evt_1").build());
    fixture().clock().advance(Duration.ofMinutes(1));

    int n = 0;
    for (SubscriptionStatus status :
        List.of(
            SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)) {
      for (String provider : List.of("stripe", "apple")) {
        n++;
        String ext = "sub_other_" + n;
        SubscriptionChange second =
            change(user, ext, "evt_other_" + n).provider(provider).status(status).build();
        assertThatThrownBy(() -> subs().upsertActive(second))
            .as("second %s subscription at %s", status, provider)
            .isInstanceOf(DbConflictException.class);
        assertThat(subs().findByExternalId(provider, ext)).isEmpty();
        assertThat(subs().listEvents(provider, ext)).isEmpty();
      }
    }
    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(first.subscription());
    assertThat(subs().listEvents("stripe", "sub_1")).containsExactly(first.event());
    assertThat(subs().findActive(user)).contains(first.subscription());
    assertThat(subs().findLatest(user)).contains(first.subscription());
  }

  @Test
  void cancelingTheFirstLetsASecondBecomeActive() {
    String user = newUser("s1");
    subs().upsertActive(change(user, "sub_1", "evt_1").build());
    fixture().clock().advance(Duration.ofMinutes(1));
    subs()
        .upsertActive(
            change(user, "sub_1", "evt_2")
                .status(SubscriptionStatus.CANCELED)
                .eventType("canceled")
                .build());
    fixture().clock().advance(Duration.ofMinutes(1));

    SubscriptionUpdate second =
        subs().upsertActive(change(user, "sub_2", "evt_3").plan("premium").build());

    assertThat(second.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(subs().findActive(user)).contains(second.subscription());
    assertThat(subs().findByExternalId("stripe", "sub_1").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.CANCELED);
    // the canceled one no longer holds the slot, so going back to it while sub_2 is active fails
    fixture().clock().advance(Duration.ofMinutes(1));
    assertThatThrownBy(
            () ->
                subs()
                    .upsertActive(
                        change(user, "sub_1", "evt_4").status(SubscriptionStatus.ACTIVE).build()))
        .isInstanceOf(DbConflictException.class);
    assertThat(subs().findByExternalId("stripe", "sub_1").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.CANCELED);
    assertThat(subs().listEvents("stripe", "sub_1")).hasSize(2);
  }

  @Test
  void canceledSubscriptionsDoNotHoldTheActiveSlot() {
    String user = newUser("s1");
    SubscriptionUpdate a =
        subs()
            .upsertActive(
                change(user, "sub_a", "evt_a").status(SubscriptionStatus.CANCELED).build());
    SubscriptionUpdate b =
        subs()
            .upsertActive(
                change(user, "sub_b", "evt_b").status(SubscriptionStatus.EXPIRED).build());
    SubscriptionUpdate c = subs().upsertActive(change(user, "sub_c", "evt_c").build());

    assertThat(Stream.of(a, b, c).map(SubscriptionUpdate::outcome)).containsOnly(Outcome.APPLIED);
    assertThat(subs().findActive(user)).contains(c.subscription());
  }

  @Test
  void externalIdOwnedByAnotherUserConflicts() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    SubscriptionUpdate first = subs().upsertActive(change(alice, "sub_1", "evt_1").build());
    fixture().clock().advance(Duration.ofMinutes(1));

    SubscriptionChange stolen =
        change(bob, "sub_1", "evt_2").status(SubscriptionStatus.CANCELED).build();
    assertThatThrownBy(() -> subs().upsertActive(stolen)).isInstanceOf(DbConflictException.class);

    assertThat(subs().findByExternalId("stripe", "sub_1")).contains(first.subscription());
    assertThat(subs().listEvents("stripe", "sub_1")).containsExactly(first.event());
    assertThat(subs().findLatest(bob)).isEmpty();
    assertThat(subs().findActive(bob)).isEmpty();
  }

  @Test
  void findActiveHonoursPeriodEnd() {
    String user = newUser("s1");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    SubscriptionUpdate u =
        subs().upsertActive(change(user, "sub_1", "evt_1").currentPeriodEnd(periodEnd).build());

    assertThat(subs().findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd.minusMillis(1));
    assertThat(subs().findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd);
    assertThat(subs().findActive(user)).isEmpty();
    fixture().clock().set(periodEnd.plus(Duration.ofDays(1)));
    assertThat(subs().findActive(user)).isEmpty();
    // it is still the latest one, whatever its state
    assertThat(subs().findLatest(user)).contains(u.subscription());
  }

  @Test
  void findActiveCountsTrialingButNotCanceledOrExpired() {
    String trialing = newUser("trialing");
    String canceled = newUser("canceled");
    String expired = newUser("expired");
    String none = newUser("none");
    SubscriptionUpdate t =
        subs()
            .upsertActive(
                change(trialing, "sub_t", "evt_t").status(SubscriptionStatus.TRIALING).build());
    subs()
        .upsertActive(
            change(canceled, "sub_c", "evt_c").status(SubscriptionStatus.CANCELED).build());
    subs()
        .upsertActive(change(expired, "sub_e", "evt_e").status(SubscriptionStatus.EXPIRED).build());

    assertThat(subs().findActive(trialing)).contains(t.subscription());
    assertThat(subs().findActive(canceled)).isEmpty();
    assertThat(subs().findActive(expired)).isEmpty();
    assertThat(subs().findActive(none)).isEmpty();
    assertThat(subs().findLatest(none)).isEmpty();
    assertThat(subs().findActive(MISSING_USER)).isEmpty();
  }

  @Test
  void pastDueIsActiveBeforePeriodEndAndNotAfterItWithDefaultGrace() {
    String user = newUser("s1");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    SubscriptionUpdate u =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_1")
                    .status(SubscriptionStatus.PAST_DUE)
                    .currentPeriodEnd(periodEnd)
                    .build());

    assertThat(subs().findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd.minusMillis(1));
    assertThat(subs().findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd);
    assertThat(subs().findActive(user)).as("default grace is zero").isEmpty();
    fixture().clock().set(periodEnd.plus(Duration.ofDays(2)));
    assertThat(subs().findActive(user)).isEmpty();
  }

  @Test
  void pastDueIsActiveWithinTheConfiguredGrace() {
    DbProvider graceful = fixture().openFresh(b -> b.pastDueGrace(Duration.ofDays(3)));
    Subscriptions gs = graceful.subscriptions();
    String user = newUser(graceful, "s1");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    SubscriptionUpdate u =
        gs.upsertActive(
            change(user, "sub_1", "evt_1")
                .status(SubscriptionStatus.PAST_DUE)
                .currentPeriodEnd(periodEnd)
                .build());

    assertThat(gs.findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd.plus(Duration.ofDays(2)));
    assertThat(gs.findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd.plus(Duration.ofDays(3)).minusMillis(1));
    assertThat(gs.findActive(user)).contains(u.subscription());
    fixture().clock().set(periodEnd.plus(Duration.ofDays(3)));
    assertThat(gs.findActive(user)).isEmpty();
  }

  @Test
  void graceAppliesOnlyToPastDue() {
    DbProvider graceful = fixture().openFresh(b -> b.pastDueGrace(Duration.ofDays(3)));
    Subscriptions gs = graceful.subscriptions();
    String user = newUser(graceful, "s1");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    gs.upsertActive(change(user, "sub_1", "evt_1").currentPeriodEnd(periodEnd).build());

    fixture().clock().set(periodEnd.plus(Duration.ofDays(1)));
    assertThat(gs.findActive(user)).isEmpty();
    assertThat(gs.runExpirySweep(fixture().clock().instant())).isEqualTo(1);
  }

  @Test
  void findLatestReturnsTheMostRecentlyUpdated() {
    String user = newUser("s1");
    SubscriptionUpdate a = subs().upsertActive(change(user, "sub_a", "evt_a1").build());
    assertThat(subs().findLatest(user)).contains(a.subscription());

    fixture().clock().advance(Duration.ofMinutes(1));
    subs()
        .upsertActive(
            change(user, "sub_a", "evt_a2")
                .status(SubscriptionStatus.CANCELED)
                .eventType("canceled")
                .build());
    fixture().clock().advance(Duration.ofMinutes(1));
    SubscriptionUpdate b = subs().upsertActive(change(user, "sub_b", "evt_b1").build());
    assertThat(subs().findLatest(user)).contains(b.subscription());

    // updating the older, canceled one makes it the latest although it was created first
    fixture().clock().advance(Duration.ofMinutes(1));
    SubscriptionUpdate a3 =
        subs()
            .upsertActive(
                change(user, "sub_a", "evt_a3")
                    .status(SubscriptionStatus.CANCELED)
                    .plan("refunded")
                    .eventType("refunded")
                    .build());
    assertThat(subs().findLatest(user)).contains(a3.subscription());
    assertThat(subs().findActive(user)).contains(b.subscription());
  }

  @Test
  void findLatestBreaksTiesByGreatestId() {
    String user = newUser("s1");
    SubscriptionUpdate a =
        subs()
            .upsertActive(
                change(user, "sub_a", "evt_a").status(SubscriptionStatus.CANCELED).build());
    SubscriptionUpdate b =
        subs()
            .upsertActive(
                change(user, "sub_b", "evt_b").status(SubscriptionStatus.CANCELED).build());
    SubscriptionUpdate c =
        subs()
            .upsertActive(
                change(user, "sub_c", "evt_c").status(SubscriptionStatus.EXPIRED).build());
    Subscription expected =
        Stream.of(a, b, c)
            .map(SubscriptionUpdate::subscription)
            .max(Comparator.comparing(Subscription::id))
            .orElseThrow();

    assertThat(subs().findLatest(user)).contains(expected);
    assertThat(subs().findLatest(user)).contains(expected);
  }

  @Test
  void expirySweepExpiresDueSubscriptionsOnce() {
    String due = newUser("due");
    String canceledDue = newUser("canceled");
    String future = newUser("future");
    String open = newUser("open");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    SubscriptionUpdate d =
        subs().upsertActive(change(due, "sub_due", "evt_1").currentPeriodEnd(periodEnd).build());
    SubscriptionUpdate c =
        subs()
            .upsertActive(
                change(canceledDue, "sub_canceled", "evt_2")
                    .status(SubscriptionStatus.CANCELED)
                    .currentPeriodEnd(periodEnd.minusSeconds(1))
                    .build());
    SubscriptionUpdate f =
        subs()
            .upsertActive(
                change(future, "sub_future", "evt_3")
                    .currentPeriodEnd(periodEnd.plusMillis(1))
                    .build());
    SubscriptionUpdate o =
        subs().upsertActive(change(open, "sub_open", "evt_4").currentPeriodEnd(null).build());

    Instant now = fixture().clock().advance(Duration.ofDays(1));
    assertThat(now).isEqualTo(periodEnd);
    assertThat(subs().runExpirySweep(now)).isEqualTo(2);

    for (SubscriptionUpdate expired : List.of(d, c)) {
      Subscription before = expired.subscription();
      Subscription after = subs().findByExternalId("stripe", before.externalId()).orElseThrow();
      assertThat(after.id()).isEqualTo(before.id());
      assertThat(after.status()).isEqualTo(SubscriptionStatus.EXPIRED);
      assertThat(after.plan()).isEqualTo(before.plan());
      assertThat(after.createdAt()).isEqualTo(before.createdAt());
      assertThat(after.updatedAt()).isEqualTo(now);
      List<SubscriptionEvent> events = subs().listEvents("stripe", before.externalId());
      assertThat(events).hasSize(2);
      SubscriptionEvent e = events.get(1);
      assertThat(e.type()).isEqualTo("expired");
      assertThat(e.providerEventId())
          .isEqualTo(
              "expiry:"
                  + before.id()
                  + ":"
                  + before.currentPeriodEnd().orElseThrow().toEpochMilli());
      assertThat(e.occurredAt()).isEqualTo(now);
      assertThat(e.userId()).contains(before.userId());
      assertThat(e.provider()).isEqualTo("stripe");
      assertThat(e.externalId()).isEqualTo(before.externalId());
      assertThat(e.payloadJson()).isEqualTo("{\"reason\":\"period_end\"}");
    }
    assertThat(subs().findActive(due)).isEmpty();
    assertThat(subs().findByExternalId("stripe", "sub_future")).contains(f.subscription());
    assertThat(subs().listEvents("stripe", "sub_future")).hasSize(1);
    assertThat(subs().findByExternalId("stripe", "sub_open")).contains(o.subscription());
    assertThat(subs().listEvents("stripe", "sub_open")).hasSize(1);

    // a second run at the same instant changes nothing
    assertThat(subs().runExpirySweep(now)).isZero();
    assertThat(subs().listEvents("stripe", "sub_due")).hasSize(2);
    assertThat(subs().listEvents("stripe", "sub_canceled")).hasSize(2);

    // a later run only expires what has come due since (sub_future), never the expired again
    Instant later = fixture().clock().advance(Duration.ofMinutes(1));
    assertThat(subs().runExpirySweep(later)).isEqualTo(1);
    assertThat(subs().findByExternalId("stripe", "sub_future").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.EXPIRED);
    assertThat(subs().listEvents("stripe", "sub_due")).hasSize(2);
    assertThat(subs().listEvents("stripe", "sub_canceled")).hasSize(2);
    assertThat(subs().findByExternalId("stripe", "sub_due").orElseThrow().updatedAt())
        .isEqualTo(now);
    assertThat(subs().runExpirySweep(later)).isZero();
  }

  @Test
  void aRenewedSubscriptionCanExpireAgain() {
    String user = newUser("renewer");
    Instant firstEnd = START.plus(Duration.ofDays(1));
    subs().upsertActive(change(user, "sub_r", "evt_r1").currentPeriodEnd(firstEnd).build());
    Instant sweep1 = fixture().clock().advance(Duration.ofDays(2));
    assertThat(subs().runExpirySweep(sweep1)).isEqualTo(1);

    Instant secondEnd = sweep1.plus(Duration.ofDays(1));
    SubscriptionUpdate renewed =
        subs()
            .upsertActive(
                change(user, "sub_r", "evt_r2")
                    .occurredAt(sweep1.plusSeconds(1))
                    .currentPeriodEnd(secondEnd)
                    .build());
    assertThat(renewed.outcome()).isEqualTo(SubscriptionUpdate.Outcome.APPLIED);
    assertThat(renewed.subscription().status()).isEqualTo(SubscriptionStatus.ACTIVE);

    Instant sweep2 = fixture().clock().advance(Duration.ofDays(2));
    assertThat(subs().runExpirySweep(sweep2)).isEqualTo(1);
    assertThat(subs().findByExternalId("stripe", "sub_r").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.EXPIRED);
    assertThat(subs().listEvents("stripe", "sub_r"))
        .filteredOn(ev -> ev.type().equals("expired"))
        .hasSize(2);
  }

  @Test
  void aRenewalThatHappenedBeforeTheSweepStillAppliesWhenDeliveredAfterIt() {
    String user = newUser("late-renewal");
    Instant end = START.plus(Duration.ofDays(1));
    subs()
        .upsertActive(
            change(user, "sub_late", "evt_l1").occurredAt(START).currentPeriodEnd(end).build());
    Instant renewedAt = end.plusSeconds(1);
    Instant sweptAt = fixture().clock().advance(Duration.ofDays(1).plusSeconds(5));
    assertThat(subs().runExpirySweep(sweptAt)).isEqualTo(1);

    // the store renewed at end+1s, but the webhook arrives after the sweep at end+5s
    SubscriptionUpdate late =
        subs()
            .upsertActive(
                change(user, "sub_late", "evt_l2")
                    .occurredAt(renewedAt)
                    .currentPeriodEnd(end.plus(Duration.ofDays(30)))
                    .build());
    assertThat(late.outcome()).isEqualTo(SubscriptionUpdate.Outcome.APPLIED);
    assertThat(subs().findActive(user)).isPresent();
  }

  @Test
  void expirySweepRespectsPastDueGrace() {
    DbProvider graceful = fixture().openFresh(b -> b.pastDueGrace(Duration.ofDays(3)));
    Subscriptions gs = graceful.subscriptions();
    String user = newUser(graceful, "s1");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    gs.upsertActive(
        change(user, "sub_1", "evt_1")
            .status(SubscriptionStatus.PAST_DUE)
            .currentPeriodEnd(periodEnd)
            .build());

    Instant inGrace = periodEnd.plus(Duration.ofDays(3)).minusMillis(1);
    fixture().clock().set(inGrace);
    assertThat(gs.runExpirySweep(inGrace)).isZero();
    assertThat(gs.findByExternalId("stripe", "sub_1").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.PAST_DUE);
    assertThat(gs.listEvents("stripe", "sub_1")).hasSize(1);

    Instant graceOver = periodEnd.plus(Duration.ofDays(3));
    fixture().clock().set(graceOver);
    assertThat(gs.runExpirySweep(graceOver)).isEqualTo(1);
    assertThat(gs.findByExternalId("stripe", "sub_1").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.EXPIRED);
    assertThat(gs.listEvents("stripe", "sub_1"))
        .extracting(SubscriptionEvent::type)
        .containsExactly("created", "expired");
  }

  @Test
  void expirySweepExpiresPastDueAtPeriodEndWithDefaultGrace() {
    String user = newUser("s1");
    Instant periodEnd = START.plus(Duration.ofDays(1));
    subs()
        .upsertActive(
            change(user, "sub_1", "evt_1")
                .status(SubscriptionStatus.PAST_DUE)
                .currentPeriodEnd(periodEnd)
                .build());

    fixture().clock().set(periodEnd.minusMillis(1));
    assertThat(subs().runExpirySweep(periodEnd.minusMillis(1))).isZero();
    fixture().clock().set(periodEnd);
    assertThat(subs().runExpirySweep(periodEnd)).isEqualTo(1);
    assertThat(subs().findByExternalId("stripe", "sub_1").orElseThrow().status())
        .isEqualTo(SubscriptionStatus.EXPIRED);
  }

  @Test
  void unknownUserIsNotFoundAndNothingIsWritten() {
    SubscriptionChange c = change(MISSING_USER, "sub_1", "evt_1").build();

    assertThatThrownBy(() -> subs().upsertActive(c)).isInstanceOf(DbNotFoundException.class);
    assertThat(subs().findByExternalId("stripe", "sub_1")).isEmpty();
    assertThat(subs().listEvents("stripe", "sub_1")).isEmpty();
  }

  @Test
  void malformedPayloadIsRefusedAndNothingIsWritten() {
    String user = newUser("s1");
    int n = 0;
    for (String bad :
        List.of(
            "{not json", "", "   ", "{\"a\":1", "{\"a\":1} trailing", "{'a':1}", "[1,]", "nul")) {
      n++;
      SubscriptionChange c = change(user, "sub_" + n, "evt_" + n).payloadJson(bad).build();
      assertThatThrownBy(() -> subs().upsertActive(c))
          .as("payload %s", bad)
          .isInstanceOfSatisfying(
              DbValidationException.class, e -> assertThat(e.field()).isEqualTo("payloadJson"));
      assertThat(subs().findByExternalId("stripe", "sub_" + n)).isEmpty();
      assertThat(subs().listEvents("stripe", "sub_" + n)).isEmpty();
    }
    assertThat(subs().findLatest(user)).isEmpty();
  }

  @Test
  void anyWellFormedJsonPayloadIsStoredByteForByte() {
    int n = 0;
    for (String payload :
        List.of(
            "[1, 2.5e3, true, null]",
            "\"just a string\"",
            "  {\"nested\": {\"a\": [ ]}, \"emoji\": \"👨‍👩‍👧\"}  ")) {
      n++;
      String user = newUser("s" + n);
      SubscriptionUpdate u =
          subs().upsertActive(change(user, "sub_" + n, "evt_" + n).payloadJson(payload).build());
      assertThat(u.event().payloadJson()).isEqualTo(payload);
      assertThat(subs().listEvents("stripe", "sub_" + n).get(0).payloadJson()).isEqualTo(payload);
    }
  }

  @Test
  void payloadOfExactlyOneMebibyteIsAccepted() {
    String user = newUser("s1");
    String largest = "\"" + "x".repeat(SubscriptionChange.MAX_PAYLOAD_BYTES - 2) + "\"";

    SubscriptionUpdate u =
        subs().upsertActive(change(user, "sub_1", "evt_1").payloadJson(largest).build());

    assertThat(u.event().payloadJson()).isEqualTo(largest);
    assertThat(subs().listEvents("stripe", "sub_1").get(0).payloadJson()).isEqualTo(largest);
    assertValidation(
        "payloadJson", () -> change(user, "sub_2", "evt_2").payloadJson(largest + " ").build());
  }

  @Test
  void changeBuilderNamesTheInvalidField() {
    String user = "user-1";
    assertValidation("userId", () -> change(" ", "sub", "evt").build());
    assertValidation("userId", () -> change(null, "sub", "evt").build());
    assertValidation("provider", () -> change(user, "sub", "evt").provider("").build());
    assertValidation("provider", () -> change(user, "sub", "evt").provider("p".repeat(65)).build());
    assertValidation("externalId", () -> change(user, "\t", "evt").build());
    assertValidation("externalId", () -> change(user, "a\0b", "evt").build());
    assertValidation("externalId", () -> change(user, "x".repeat(256), "evt").build());
    assertValidation("plan", () -> change(user, "sub", "evt").plan(" ").build());
    assertValidation("plan", () -> change(user, "sub", "evt").plan("pro\0").build());
    assertValidation("status", () -> change(user, "sub", "evt").status(null).build());
    assertValidation("eventType", () -> change(user, "sub", "evt").eventType("").build());
    assertValidation(
        "eventType", () -> change(user, "sub", "evt").eventType("t".repeat(65)).build());
    assertValidation("providerEventId", () -> change(user, "sub", " ").build());
    assertValidation("providerEventId", () -> change(user, "sub", "e".repeat(256)).build());
    assertValidation("occurredAt", () -> change(user, "sub", "evt").occurredAt(null).build());
    for (Instant outside : DbProviderContract.OUTSIDE_STORED_RANGE) {
      assertValidation("occurredAt", () -> change(user, "sub", "evt").occurredAt(outside).build());
      assertValidation(
          "currentPeriodEnd", () -> change(user, "sub", "evt").currentPeriodEnd(outside).build());
      assertValidation("now", () -> subs().runExpirySweep(outside));
    }
    assertValidation("payloadJson", () -> change(user, "sub", "evt").payloadJson(null).build());
    assertValidation(
        "payloadJson", () -> change(user, "sub", "evt").payloadJson("{\"a\":\"\0\"}").build());
    // the limits themselves are accepted
    change(user, "x".repeat(255), "e".repeat(255))
        .provider("p".repeat(64))
        .eventType("t".repeat(64))
        .occurredAt(DbProviderContract.EARLIEST)
        .currentPeriodEnd(DbProviderContract.LATEST)
        .build();
  }

  @Test
  void readsAndSweepValidateTheirArguments() {
    assertValidation("userId", () -> subs().findActive(" "));
    assertValidation("userId", () -> subs().findLatest(""));
    assertValidation("userId", () -> subs().findActive("u".repeat(256)));
    assertValidation("provider", () -> subs().findByExternalId("", "sub_1"));
    assertValidation("externalId", () -> subs().findByExternalId("stripe", "a\0"));
    assertValidation("provider", () -> subs().listEvents(" ", "sub_1"));
    assertValidation("externalId", () -> subs().listEvents("stripe", ""));
    assertValidation("now", () -> subs().runExpirySweep(null));
  }

  @Test
  void instantsAtTheEndsOfTheStoredRangeRoundTrip() {
    String userId = newUser("ada");
    SubscriptionUpdate update =
        subs()
            .upsertActive(
                change(userId, "sub_far", "evt_far")
                    .occurredAt(DbProviderContract.EARLIEST)
                    .currentPeriodEnd(DbProviderContract.LATEST)
                    .build());

    assertThat(update.subscription().currentPeriodEnd()).contains(DbProviderContract.LATEST);
    assertThat(subs().listEvents("stripe", "sub_far"))
        .extracting(SubscriptionEvent::occurredAt)
        .containsExactly(DbProviderContract.EARLIEST);
    assertThat(subs().findActive(userId)).contains(update.subscription());
    assertThat(subs().runExpirySweep(DbProviderContract.LATEST.minusMillis(1))).isZero();
    assertThat(subs().runExpirySweep(DbProviderContract.LATEST)).isEqualTo(1);
  }

  @Test
  void eventsSurviveUserDeletionWithoutTheUser() {
    String user = newUser("s1");
    SubscriptionUpdate first =
        subs().upsertActive(change(user, "sub_1", "evt_1").payloadJson("{\"a\": \"é\"}").build());
    fixture().clock().advance(Duration.ofMinutes(1));
    SubscriptionUpdate second =
        subs()
            .upsertActive(
                change(user, "sub_1", "evt_2")
                    .status(SubscriptionStatus.CANCELED)
                    .eventType("canceled")
                    .build());

    assertThat(fixture().db().users().delete(user)).isTrue();

    assertThat(subs().findByExternalId("stripe", "sub_1")).isEmpty();
    assertThat(subs().findLatest(user)).isEmpty();
    List<SubscriptionEvent> events = subs().listEvents("stripe", "sub_1");
    assertThat(events).hasSize(2);
    List<SubscriptionEvent> before = List.of(first.event(), second.event());
    for (int i = 0; i < 2; i++) {
      SubscriptionEvent was = before.get(i);
      SubscriptionEvent now = events.get(i);
      assertThat(now)
          .isEqualTo(
              new SubscriptionEvent(
                  was.id(),
                  Optional.empty(),
                  was.provider(),
                  was.externalId(),
                  was.type(),
                  was.providerEventId(),
                  was.occurredAt(),
                  was.payloadJson(),
                  was.recordedAt()));
    }
  }
}
