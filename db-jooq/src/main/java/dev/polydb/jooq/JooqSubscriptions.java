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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.impl.DSL;

final class JooqSubscriptions implements Subscriptions {
  private static final String EXPIRED_TYPE = "expired";
  private static final String EXPIRED_PAYLOAD = "{\"reason\":\"period_end\"}";

  private final Session s;
  private final Tables.Subscriptions t;
  private final Tables.Events e;

  private final String findActive;
  private final String findLatest;
  private final String findByExternal;
  private final String insertSubscription;
  private final String updateSubscription;
  private final String insertEvent;
  private final String findEvent;
  private final String listEvents;
  private final String anyDue;

  /** A subscription as an upsert reads it: with the time of the last event applied to it. */
  private record Current(Subscription subscription, Instant lastEventAt) {}

  JooqSubscriptions(Session session) {
    this.s = session;
    this.t = session.t.subscriptions;
    this.e = session.t.events;
    DSLContext dsl = session.core.dsl;
    // rendered once (see Sql): the entitlement check runs on every request, a provider's webhook
    // on every event
    this.findActive = s.sql("subscriptions.findActive", this::renderFindActive);
    this.findLatest =
        s.sql(
            "subscriptions.findLatest",
            () ->
                s.render(
                    dsl.select(t.all)
                        .from(t.table)
                        .where(t.userId.eq(param(t.userId)))
                        .orderBy(t.updatedAt.desc(), t.id.desc())
                        .limit(inline(1))));
    this.findByExternal =
        s.sql(
            "subscriptions.findByExternal",
            () ->
                s.render(
                    dsl.select(t.all)
                        .from(t.table)
                        .where(
                            t.provider.eq(param(t.provider)),
                            t.externalId.eq(param(t.externalId)))));
    this.insertSubscription =
        s.sql(
            "subscriptions.insert",
            () ->
                s.render(
                        dsl.insertInto(t.table)
                            .set(t.id, param(t.id))
                            .set(t.userId, param(t.userId))
                            .set(t.provider, param(t.provider))
                            .set(t.externalId, param(t.externalId))
                            .set(t.plan, param(t.plan))
                            .set(t.status, param(t.status))
                            .set(t.currentPeriodEnd, param(t.currentPeriodEnd))
                            .set(t.cancelAtPeriodEnd, param(t.cancelAtPeriodEnd))
                            .set(t.lastEventAt, param(t.lastEventAt))
                            .set(t.createdAt, param(t.createdAt))
                            .set(t.updatedAt, param(t.updatedAt)))
                    + s.returning(t.all));
    this.updateSubscription =
        s.sql(
            "subscriptions.update",
            () ->
                s.render(
                        dsl.update(t.table)
                            .set(t.plan, param(t.plan))
                            .set(t.status, param(t.status))
                            .set(t.currentPeriodEnd, param(t.currentPeriodEnd))
                            .set(t.cancelAtPeriodEnd, param(t.cancelAtPeriodEnd))
                            .set(t.lastEventAt, param(t.lastEventAt))
                            .set(t.updatedAt, param(t.updatedAt))
                            .where(t.id.eq(param(t.id))))
                    + s.returning(t.all));
    this.insertEvent =
        s.sql(
            "subscriptions.insertEvent",
            () ->
                s.render(
                        dsl.insertInto(e.table)
                            .set(e.id, param(e.id))
                            .set(e.userId, param(e.userId))
                            .set(e.provider, param(e.provider))
                            .set(e.externalId, param(e.externalId))
                            .set(e.type, param(e.type))
                            .set(e.providerEventId, param(e.providerEventId))
                            .set(e.occurredAt, param(e.occurredAt))
                            .set(e.payload, param(e.payload))
                            .set(e.recordedAt, param(e.recordedAt))
                            .onConflictDoNothing())
                    + s.returning(e.all));
    this.findEvent =
        s.sql(
            "subscriptions.findEvent",
            () ->
                s.render(
                    dsl.select(e.all)
                        .from(e.table)
                        .where(
                            e.provider.eq(param(e.provider)),
                            e.providerEventId.eq(param(e.providerEventId)))));
    this.listEvents =
        s.sql(
            "subscriptions.listEvents",
            () ->
                s.render(
                    dsl.select(e.all)
                        .from(e.table)
                        .where(
                            e.provider.eq(param(e.provider)), e.externalId.eq(param(e.externalId)))
                        .orderBy(e.recordedAt, e.id)));
    // the cut-off, then the past-due cut-off
    this.anyDue =
        s.sql(
            "subscriptions.anyDue",
            () ->
                s.render(
                    dsl.select(
                        DSL.field(
                            DSL.exists(
                                DSL.selectOne()
                                    .from(t.table)
                                    .where(
                                        due(
                                            param(t.currentPeriodEnd),
                                            param(t.currentPeriodEnd))))))));
  }

  /** A bind of the field's type, for a statement rendered once. */
  private static <T> Field<T> param(Field<T> field) {
    return DSL.param(field.getDataType());
  }

  private String renderFindActive() {
    Condition current =
        t.status
            .in(
                inline(SubscriptionStatus.ACTIVE.storedName()),
                inline(SubscriptionStatus.TRIALING.storedName()))
            .and(t.currentPeriodEnd.isNull().or(t.currentPeriodEnd.gt(param(t.currentPeriodEnd))));
    Condition pastDue =
        t.status
            .eq(inline(SubscriptionStatus.PAST_DUE.storedName()))
            .and(t.currentPeriodEnd.gt(param(t.currentPeriodEnd)));
    return s.render(
        s.core
            .dsl
            .select(t.all)
            .from(t.table)
            .where(t.userId.eq(param(t.userId)), current.or(pastDue))
            .orderBy(t.updatedAt.desc(), t.id.desc())
            .limit(inline(1)));
  }

  /**
   * One transaction, in which the user's lock (Postgres; SQLite's write transactions are already
   * serialized) makes this the user's only subscription writer, so what it reads decides what it
   * writes: the subscription, then the event, which goes first among the writes (a provider event
   * id seen before stops everything there), then the subscription's row, read back by the write.
   */
  @Override
  public SubscriptionUpdate upsertActive(SubscriptionChange change) {
    Check.notNull("change", change);
    Json.requireValid("payloadJson", change.payloadJson());
    return s.write(
        "subscription upsert",
        ctx -> {
          Owners.lock(s, ctx, change.userId());
          return Session.jdbc(ctx, c -> upsert(c, change));
        });
  }

  private SubscriptionUpdate upsert(Connection c, SubscriptionChange change) throws SQLException {
    Optional<Current> current =
        Sql.one(
            c,
            findByExternal,
            st -> {
              st.setString(1, change.provider());
              st.setString(2, change.externalId());
            },
            r -> new Current(map(r), s.core.backend.getInstant(r, 9)));
    if (current.isPresent() && !current.get().subscription().userId().equals(change.userId())) {
      throw new DbConflictException(
          "subscription external id belongs to another user: "
              + change.provider()
              + "/"
              + change.externalId());
    }
    Instant now = s.now();
    Optional<SubscriptionEvent> logged =
        Sql.one(
            c,
            insertEvent,
            st -> {
              st.setString(1, s.newId());
              st.setString(2, change.userId());
              st.setString(3, change.provider());
              st.setString(4, change.externalId());
              st.setString(5, change.eventType());
              st.setString(6, change.providerEventId());
              s.core.backend.setInstant(st, 7, change.occurredAt());
              st.setString(8, change.payloadJson());
              s.core.backend.setInstant(st, 9, now);
            },
            this::mapEvent);
    if (logged.isEmpty()) {
      SubscriptionEvent stored =
          Sql.one(
                  c,
                  findEvent,
                  st -> {
                    st.setString(1, change.provider());
                    st.setString(2, change.providerEventId());
                  },
                  this::mapEvent)
              .orElseThrow();
      Subscription sub =
          current
              .orElseThrow(
                  () ->
                      new DbConflictException(
                          "subscription event id was recorded for a subscription that no longer"
                              + " exists: "
                              + change.providerEventId()))
              .subscription();
      return new SubscriptionUpdate(sub, stored, Outcome.DUPLICATE);
    }
    SubscriptionEvent event = logged.get();
    if (current.isPresent() && change.occurredAt().isBefore(current.get().lastEventAt())) {
      return new SubscriptionUpdate(current.get().subscription(), event, Outcome.STALE);
    }
    Subscription stored =
        current.isEmpty()
            ? Sql.one(
                    c,
                    insertSubscription,
                    st -> {
                      st.setString(1, s.newId());
                      st.setString(2, change.userId());
                      st.setString(3, change.provider());
                      st.setString(4, change.externalId());
                      bindChange(st, 5, change, now);
                      s.core.backend.setInstant(st, 11, now);
                    },
                    this::map)
                .orElseThrow()
            : Sql.one(
                    c,
                    updateSubscription,
                    st -> {
                      bindChange(st, 1, change, now);
                      st.setString(7, current.get().subscription().id());
                    },
                    this::map)
                .orElseThrow();
    return new SubscriptionUpdate(stored, event, Outcome.APPLIED);
  }

  /**
   * Binds what a change sets, from {@code first} on: plan, status, period end, cancel at its end,
   * the event's time and {@code now} (created or updated).
   */
  private void bindChange(PreparedStatement st, int first, SubscriptionChange change, Instant now)
      throws SQLException {
    st.setString(first, change.plan());
    st.setString(first + 1, change.status().storedName());
    s.core.backend.setInstant(st, first + 2, change.currentPeriodEnd().orElse(null));
    st.setBoolean(first + 3, change.cancelAtPeriodEnd());
    s.core.backend.setInstant(st, first + 4, change.occurredAt());
    s.core.backend.setInstant(st, first + 5, now);
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
    return s.readJdbc(
        "subscription find latest",
        c -> Sql.one(c, findLatest, st -> st.setString(1, userId), this::map));
  }

  @Override
  public Optional<Subscription> findByExternalId(String provider, String externalId) {
    Check.identifier("provider", provider);
    Check.identifier("externalId", externalId);
    return s.readJdbc(
        "subscription find",
        c ->
            Sql.one(
                c,
                findByExternal,
                st -> {
                  st.setString(1, provider);
                  st.setString(2, externalId);
                },
                this::map));
  }

  @Override
  public List<SubscriptionEvent> listEvents(String provider, String externalId) {
    Check.identifier("provider", provider);
    Check.identifier("externalId", externalId);
    return s.readJdbc(
        "subscription list events",
        c ->
            Sql.list(
                c,
                listEvents,
                st -> {
                  st.setString(1, provider);
                  st.setString(2, externalId);
                },
                this::mapEvent));
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
    s.core.requireMutations("subscription expiry sweep");
    // most sweeps find nothing due: one read, with no transaction, tells
    boolean something =
        s.readJdbc(
            "subscription expiry sweep",
            c ->
                Sql.one(
                        c,
                        anyDue,
                        st -> {
                          s.core.backend.setInstant(st, 1, cutoff);
                          s.core.backend.setInstant(st, 2, pastDueCutoff);
                        },
                        rs -> rs.getBoolean(1))
                    .orElse(false));
    if (!something) {
      return 0;
    }
    Instant at = s.now();
    Condition due =
        due(DSL.val(cutoff, t.currentPeriodEnd), DSL.val(pastDueCutoff, t.currentPeriodEnd));
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

  /**
   * The subscriptions a sweep expires: those whose period ended by the cut-off, or, past due, by
   * the past-due cut-off.
   */
  private Condition due(Field<Instant> cutoff, Field<Instant> pastDueCutoff) {
    return t.status
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
  }

  /** One expiry per subscription and period: a renewed subscription can expire again. */
  static String expiryEventId(String subscriptionId, Instant periodEnd) {
    return "expiry:" + subscriptionId + ":" + periodEnd.toEpochMilli();
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

  /** A row of {@code e.all}, in its order. */
  private SubscriptionEvent mapEvent(ResultSet r) throws SQLException {
    return new SubscriptionEvent(
        r.getString(1),
        Optional.ofNullable(r.getString(2)),
        r.getString(3),
        r.getString(4),
        r.getString(5),
        r.getString(6),
        s.core.backend.getInstant(r, 7),
        r.getString(8),
        s.core.backend.getInstant(r, 9));
  }
}
