package dev.polydb.jooq;

import static org.jooq.impl.DSL.inline;

import dev.polydb.api.DbConflictException;
import dev.polydb.api.Subscription;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.SubscriptionUpdate.Outcome;
import dev.polydb.api.Subscriptions;
import dev.polydb.api.internal.Check;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

final class JooqSubscriptions implements Subscriptions {
  private static final String EXPIRED_TYPE = "expired";
  private static final String EXPIRED_PAYLOAD = "{\"reason\":\"period_end\"}";

  private final Session s;
  private final Tables.Subscriptions t;
  private final Tables.Events e;

  private final String findActive;

  JooqSubscriptions(Session session) {
    this.s = session;
    this.t = session.t.subscriptions;
    this.e = session.t.events;
    // an entitlement check on every request: rendered once (see Sql), the statuses inlined
    this.findActive = s.sql("subscriptions.findActive", this::renderFindActive);
  }

  private String renderFindActive() {
    Condition current =
        t.status
            .in(
                inline(SubscriptionStatus.ACTIVE.storedName()),
                inline(SubscriptionStatus.TRIALING.storedName()))
            .and(
                t.currentPeriodEnd
                    .isNull()
                    .or(t.currentPeriodEnd.gt(DSL.param(t.currentPeriodEnd.getDataType()))));
    Condition pastDue =
        t.status
            .eq(inline(SubscriptionStatus.PAST_DUE.storedName()))
            .and(t.currentPeriodEnd.gt(DSL.param(t.currentPeriodEnd.getDataType())));
    return s.render(
        s.core
            .dsl
            .select(t.all)
            .from(t.table)
            .where(t.userId.eq(DSL.param(t.userId.getDataType())), current.or(pastDue))
            .orderBy(t.updatedAt.desc(), t.id.desc())
            .limit(inline(1)));
  }

  @Override
  public SubscriptionUpdate upsertActive(SubscriptionChange change) {
    Check.notNull("change", change);
    Json.requireValid("payloadJson", change.payloadJson());
    return s.write(
        "subscription upsert",
        ctx -> {
          Owners.require(s, ctx, change.userId());
          // one writer per user from here on: the reads below decide what the writes do
          s.core.backend.lockUser(ctx, change.userId());
          Optional<Subscription> current = find(ctx, change.provider(), change.externalId());
          if (current.isPresent() && !current.get().userId().equals(change.userId())) {
            throw new DbConflictException(
                "subscription external id belongs to another user: "
                    + change.provider()
                    + "/"
                    + change.externalId());
          }
          Instant now = s.now();
          String eventId = s.newId();
          // the event goes first: a provider event id seen before stops everything here
          int logged =
              ctx.insertInto(e.table)
                  .set(e.id, eventId)
                  .set(e.userId, change.userId())
                  .set(e.provider, change.provider())
                  .set(e.externalId, change.externalId())
                  .set(e.type, change.eventType())
                  .set(e.providerEventId, change.providerEventId())
                  .set(e.occurredAt, change.occurredAt())
                  .set(e.payload, change.payloadJson())
                  .set(e.recordedAt, now)
                  .onConflictDoNothing()
                  .execute();
          if (logged == 0) {
            SubscriptionEvent stored =
                ctx.select(e.all)
                    .from(e.table)
                    .where(
                        e.provider.eq(change.provider()),
                        e.providerEventId.eq(change.providerEventId()))
                    .fetchOptional()
                    .map(this::mapEvent)
                    .orElseThrow();
            Subscription sub =
                current.orElseThrow(
                    () ->
                        new DbConflictException(
                            "subscription event id was recorded for a subscription that no longer"
                                + " exists: "
                                + change.providerEventId()));
            return new SubscriptionUpdate(sub, stored, Outcome.DUPLICATE);
          }
          SubscriptionEvent event = loadEvent(ctx, eventId);
          if (current.isPresent()
              && change.occurredAt().isBefore(lastEventAt(ctx, current.get()))) {
            return new SubscriptionUpdate(current.get(), event, Outcome.STALE);
          }
          String id;
          if (current.isEmpty()) {
            id = s.newId();
            ctx.insertInto(t.table)
                .set(t.id, id)
                .set(t.userId, change.userId())
                .set(t.provider, change.provider())
                .set(t.externalId, change.externalId())
                .set(t.plan, change.plan())
                .set(t.status, change.status().storedName())
                .set(t.currentPeriodEnd, change.currentPeriodEnd().orElse(null))
                .set(t.cancelAtPeriodEnd, change.cancelAtPeriodEnd())
                .set(t.lastEventAt, change.occurredAt())
                .set(t.createdAt, now)
                .set(t.updatedAt, now)
                .execute();
          } else {
            id = current.get().id();
            ctx.update(t.table)
                .set(t.plan, change.plan())
                .set(t.status, change.status().storedName())
                .set(t.currentPeriodEnd, change.currentPeriodEnd().orElse(null))
                .set(t.cancelAtPeriodEnd, change.cancelAtPeriodEnd())
                .set(t.lastEventAt, change.occurredAt())
                .set(t.updatedAt, now)
                .where(t.id.eq(id))
                .execute();
          }
          Subscription stored = find(ctx, change.provider(), change.externalId()).orElseThrow();
          return new SubscriptionUpdate(stored, event, Outcome.APPLIED);
        });
  }

  @Override
  public Optional<Subscription> findActive(String userId) {
    Check.identifier("userId", userId);
    Instant now = s.now();
    Instant pastDueCutoff = Times.earlier(now, s.core.config.pastDueGrace());
    return s.readJdbc(
        "subscription find active",
        c ->
            Sql.one(
                c,
                findActive,
                st -> {
                  st.setString(1, userId);
                  s.core.backend.setInstant(st, 2, now);
                  s.core.backend.setInstant(st, 3, pastDueCutoff);
                },
                this::map));
  }

  @Override
  public Optional<Subscription> findLatest(String userId) {
    Check.identifier("userId", userId);
    return s.read(
        "subscription find latest",
        ctx ->
            ctx.select(t.all)
                .from(t.table)
                .where(t.userId.eq(userId))
                .orderBy(t.updatedAt.desc(), t.id.desc())
                .limit(1)
                .fetchOptional()
                .map(this::map));
  }

  @Override
  public Optional<Subscription> findByExternalId(String provider, String externalId) {
    Check.identifier("provider", provider);
    Check.identifier("externalId", externalId);
    return s.read("subscription find", ctx -> find(ctx, provider, externalId));
  }

  @Override
  public List<SubscriptionEvent> listEvents(String provider, String externalId) {
    Check.identifier("provider", provider);
    Check.identifier("externalId", externalId);
    return s.read(
        "subscription list events",
        ctx ->
            ctx.select(e.all)
                .from(e.table)
                .where(e.provider.eq(provider), e.externalId.eq(externalId))
                .orderBy(e.recordedAt, e.id)
                .fetch(this::mapEvent));
  }

  @Override
  public int runExpirySweep(Instant now) {
    int expired = sweep(now);
    s.core.config.metrics().expirySweep(s.core.backend.name(), expired);
    return expired;
  }

  private int sweep(Instant now) {
    Instant cutoff = Check.instant("now", now);
    Instant pastDueCutoff = Times.earlier(cutoff, s.core.config.pastDueGrace());
    Instant at = s.now();
    Condition due =
        t.status
            .ne(inline(SubscriptionStatus.EXPIRED.storedName()))
            .and(t.currentPeriodEnd.isNotNull())
            .and(
                t.status
                    .ne(inline(SubscriptionStatus.PAST_DUE.storedName()))
                    .and(t.currentPeriodEnd.le(cutoff))
                    .or(
                        t.status
                            .eq(inline(SubscriptionStatus.PAST_DUE.storedName()))
                            .and(t.currentPeriodEnd.le(pastDueCutoff))));
    return s.write(
        "subscription expiry sweep",
        ctx -> {
          int expired = 0;
          for (Record r :
              ctx.select(t.id, t.userId, t.provider, t.externalId, t.currentPeriodEnd)
                  .from(t.table)
                  .where(due)
                  // concurrent sweeps lock rows in one order, so they never deadlock (Postgres)
                  .orderBy(t.id)
                  .fetch()) {
            String id = r.get(t.id);
            // conditional on still being due: a concurrent sweep, or a renewal that committed
            // meanwhile, leaves nothing to do. last_event_at is left alone: it orders provider
            // events, and a renewal that happened before this sweep must still apply.
            int moved =
                ctx.update(t.table)
                    .set(t.status, SubscriptionStatus.EXPIRED.storedName())
                    .set(t.updatedAt, at)
                    .where(t.id.eq(id), due)
                    .execute();
            if (moved == 0) {
              continue;
            }
            expired++;
            ctx.insertInto(e.table)
                .set(e.id, s.newId())
                .set(e.userId, r.get(t.userId))
                .set(e.provider, r.get(t.provider))
                .set(e.externalId, r.get(t.externalId))
                .set(e.type, EXPIRED_TYPE)
                .set(e.providerEventId, expiryEventId(id, r.get(t.currentPeriodEnd)))
                .set(e.occurredAt, cutoff)
                .set(e.payload, EXPIRED_PAYLOAD)
                .set(e.recordedAt, at)
                .onConflictDoNothing()
                .execute();
          }
          return expired;
        });
  }

  /** One expiry per subscription and period: a renewed subscription can expire again. */
  static String expiryEventId(String subscriptionId, Instant periodEnd) {
    return "expiry:" + subscriptionId + ":" + periodEnd.toEpochMilli();
  }

  private Instant lastEventAt(DSLContext ctx, Subscription sub) {
    return ctx.select(t.lastEventAt).from(t.table).where(t.id.eq(sub.id())).fetchOne(t.lastEventAt);
  }

  private Optional<Subscription> find(DSLContext ctx, String provider, String externalId) {
    return ctx.select(t.all)
        .from(t.table)
        .where(t.provider.eq(provider), t.externalId.eq(externalId))
        .fetchOptional()
        .map(this::map);
  }

  private SubscriptionEvent loadEvent(DSLContext ctx, String id) {
    return ctx.select(e.all)
        .from(e.table)
        .where(e.id.eq(id))
        .fetchOptional()
        .map(this::mapEvent)
        .orElseThrow();
  }

  /** A row of {@code t.all}, in its order. */
  private Subscription map(ResultSet r) throws SQLException {
    return new Subscription(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        r.getString(4),
        r.getString(5),
        SubscriptionStatus.fromStoredName(r.getString(6)),
        Optional.ofNullable(s.core.backend.getInstant(r, 8)),
        r.getBoolean(7),
        s.core.backend.getInstant(r, 10),
        s.core.backend.getInstant(r, 11));
  }

  private Subscription map(Record r) {
    return new Subscription(
        r.get(t.id),
        r.get(t.userId),
        r.get(t.provider),
        r.get(t.externalId),
        r.get(t.plan),
        SubscriptionStatus.fromStoredName(r.get(t.status)),
        Optional.ofNullable(r.get(t.currentPeriodEnd)),
        Boolean.TRUE.equals(r.get(t.cancelAtPeriodEnd)),
        r.get(t.createdAt),
        r.get(t.updatedAt));
  }

  private SubscriptionEvent mapEvent(Record r) {
    return new SubscriptionEvent(
        r.get(e.id),
        Optional.ofNullable(r.get(e.userId)),
        r.get(e.provider),
        r.get(e.externalId),
        r.get(e.type),
        r.get(e.providerEventId),
        r.get(e.occurredAt),
        r.get(e.payload),
        r.get(e.recordedAt));
  }
}
