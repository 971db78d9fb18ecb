package dev.polydb.bench;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.RotationResult;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.SubscriptionUpdate;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot paths, one call per operation, each beside its hand-written JDBC baseline on a pool of
 * the same size ({@code <operation>_library} and {@code <operation>_jdbc}). Sample time, so that
 * the run reports the median and the p99 of single calls.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPaths {
  private static final String CONTENT =
      "Walked to the market before the rain; bought pears, bread and a newspaper, then sat by the"
          + " window and wrote until noon.";
  private static final String EDITED = CONTENT + " Edited in the evening.";
  private static final UserProfile PROFILE =
      UserProfile.of("reader@example.com", "A Reader", "https://example.com/a.png");

  /** The batch size of the prune benchmarks. */
  private static final int PRUNE_BATCH = 1_000;

  /** The backend under test. */
  @Param({"sqlite", "postgres"})
  public String backend;

  private Fixture fixture;
  private Jdbc jdbc;

  /**
   * Whether, on Postgres, the library's provider runs on the baseline's pool (the application-pool
   * path, whose sessions carry the same settings) rather than on a pool of its own. {@link
   * Interleaved} sets it: calling the two sides in turn, each on a connection of its own, put each
   * on a server process of its own, and which of the two the scheduler favoured for a while moved
   * the ratio both ways (0.5 to 2.5 per round); on one pool both use the same connection.
   */
  boolean sharedPool;

  /** The provider whose calls are measured. */
  private DbProvider db;

  /**
   * Two more providers on the same database, alike but for metrics: one reports every call to
   * Micrometer, the other is its baseline. On Postgres both share one pool (the application-pool
   * path), so that only the metrics differ; SQLite gives each a pool of its own.
   */
  private DbProvider metered;

  private DbProvider unmetered;

  private String revokedJti;
  private String listed;

  /** The cursor of the page after the first of the listed user's entries. */
  private String older;

  private final AtomicInteger threads = new AtomicInteger();

  /** Creates the state; JMH calls {@link #open()}. */
  public HotPaths() {}

  /** Opens the database, seeds its users and one revoked JWT id. */
  @Setup(Level.Trial)
  public void open() {
    fixture = Fixture.open(backend);
    jdbc = new Jdbc(fixture.pool, fixture.postgres());
    db =
        sharedPool && fixture.postgres()
            ? DbProviders.open(fixture.pool, fixture.config)
            : fixture.db;
    DbConfig withMetrics =
        fixture.config.toBuilder()
            .metrics(new MicrometerMetrics(new SimpleMeterRegistry()))
            .build();
    if (fixture.postgres()) {
      metered = DbProviders.open(fixture.pool, withMetrics);
      unmetered = DbProviders.open(fixture.pool, fixture.config);
    } else {
      metered = DbProviders.open(withMetrics);
      unmetered = DbProviders.open(fixture.config);
    }
    listed = fixture.users.get(0).id();
    for (int i = 0; i < 40; i++) {
      db.journal().insert(listed, CONTENT + " (" + i + ")");
    }
    older = db.journal().listBefore(listed, null, 20).nextCursor().orElseThrow();
    revokedJti = "jti-revoked";
    fixture
        .db
        .jtis()
        .revoke(
            revokedJti,
            fixture.users.get(0).id(),
            Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS));
  }

  /** Closes and removes the database. */
  @TearDown(Level.Trial)
  public void close() {
    metered.close();
    unmetered.close();
    if (db != fixture.db) {
      db.close();
    }
    fixture.close();
  }

  /** What one benchmark thread works on: a user of its own and its live refresh tokens. */
  @State(Scope.Thread)
  public static class Caller {
    User user;
    int next;
    String libraryToken;
    String jdbcToken;
    String validToken;
    String entryId;
    String jtiPrefix;
    long jtis;
    long subjects;
    long entries;
    boolean edited;
    Instant subscribedAt;
    long events;

    /** Creates the state; JMH calls {@link #prepare(HotPaths)}. */
    public Caller() {}

    /**
     * Picks this thread's user and issues its tokens.
     *
     * @param bench the shared state
     */
    @Setup(Level.Trial)
    public void prepare(HotPaths bench) {
      int index = bench.threads.getAndIncrement();
      user = bench.fixture.users.get((index + 1) % Fixture.USERS);
      next = index * 7919;
      libraryToken = bench.db.refreshTokens().issue(user.id()).token();
      jdbcToken = bench.db.refreshTokens().issue(user.id()).token();
      validToken = bench.db.refreshTokens().issue(user.id()).token();
      entryId = bench.db.journal().insert(user.id(), CONTENT).id();
      jtiPrefix = "jti-" + index + "-";
      subscribedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      // a subscription with ten events in its log, for listEvents
      for (int i = 0; i < 10; i++) {
        bench.db.subscriptions().upsertActive(subscriptionEvent("setup"));
      }
    }

    /**
     * The next event of this thread's subscription: a new provider event id, each a millisecond
     * after the one before (never stale), the variant's name in it.
     */
    SubscriptionChange subscriptionEvent(String variant) {
      long n = events++;
      return SubscriptionChange.builder()
          .userId(user.id())
          .provider("stripe")
          .externalId(externalId())
          .plan(n % 2 == 0 ? "pro" : "team")
          .status(SubscriptionStatus.ACTIVE)
          .currentPeriodEnd(subscribedAt.plus(30, ChronoUnit.DAYS))
          .eventType(n == 0 ? "created" : "updated")
          .providerEventId("evt-" + user.id() + "-" + variant + "-" + n)
          .occurredAt(subscribedAt.plusMillis(n))
          .payloadJson("{\"plan\":\"" + (n % 2 == 0 ? "pro" : "team") + "\"}")
          .build();
    }

    /** The provider's id of this thread's subscription. */
    String externalId() {
      return "sub-" + user.id();
    }

    User someUser(HotPaths bench) {
      next = (next + 1) % Fixture.USERS;
      return bench.fixture.users.get(next);
    }

    /** This thread's entry's next content: the two texts in turn, so every update changes it. */
    String nextContent() {
      edited = !edited;
      return edited ? EDITED : CONTENT;
    }

    /** A JWT id not revoked before, the variant's name in it. */
    String newJti(String variant) {
      return jtiPrefix + variant + "-" + jtis++;
    }

    /** An identity's subject not used before, the variant's name in it. */
    String newSubject(String variant) {
      return "subject-" + jtiPrefix + variant + "-" + subjects++;
    }

    /** An entry id not used before, the variant's name in it. */
    String newEntryId(String variant) {
      return "entry-" + jtiPrefix + variant + "-" + entries++;
    }

    /** When a revoked id expires: a day from now. */
    static Instant tomorrow() {
      return Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
    }
  }

  /**
   * users.findById through the library.
   *
   * @param c the caller
   * @return the user
   */
  @Benchmark
  public Object usersFindById_library(Caller c) {
    return db.users().findById(c.someUser(this).id()).orElseThrow();
  }

  /**
   * users.findById by hand.
   *
   * @param c the caller
   * @return the user
   * @throws SQLException never, here
   */
  @Benchmark
  public Object usersFindById_jdbc(Caller c) throws SQLException {
    return jdbc.findUserById(c.someUser(this).id()).orElseThrow();
  }

  /**
   * users.findById through a provider with Micrometer metrics: the cost of a timer per call,
   * against {@link #usersFindByIdMetered_unmetered}.
   *
   * @param c the caller
   * @return the user
   */
  @Benchmark
  public Object usersFindByIdMetered_library(Caller c) {
    return metered.users().findById(c.someUser(this).id()).orElseThrow();
  }

  /**
   * users.findById through the provider without metrics (the default), the baseline of the metered
   * call in the same run.
   *
   * @param c the caller
   * @return the user
   */
  @Benchmark
  public Object usersFindByIdMetered_unmetered(Caller c) {
    return unmetered.users().findById(c.someUser(this).id()).orElseThrow();
  }

  /**
   * jtis.isRevoked answered from the in-process cache, through the provider with Micrometer: the
   * call touches no database, so beside {@link #jtisIsRevokedMetered_unmetered} it measures what
   * the metrics themselves cost per call (the proxy, two clock reads, a timer and a cache counter
   * recorded), which the database-bound benchmarks above cannot resolve.
   *
   * @return true
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public boolean jtisIsRevokedMetered_library() {
    return metered.jtis().isRevoked(revokedJti);
  }

  /**
   * jtis.isRevoked answered from the cache, without metrics: the baseline of the metered call.
   *
   * @return true
   */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public boolean jtisIsRevokedMetered_unmetered() {
    return unmetered.jtis().isRevoked(revokedJti);
  }

  /**
   * users.findByProvider through the library.
   *
   * @param c the caller
   * @return the user
   */
  @Benchmark
  public Object usersFindByProvider_library(Caller c) {
    User u = c.someUser(this);
    return db.users().findByProvider(u.provider(), u.providerSubject()).orElseThrow();
  }

  /**
   * users.findByProvider by hand.
   *
   * @param c the caller
   * @return the user
   * @throws SQLException never, here
   */
  @Benchmark
  public Object usersFindByProvider_jdbc(Caller c) throws SQLException {
    User u = c.someUser(this);
    return jdbc.findUserByProvider(u.provider(), u.providerSubject()).orElseThrow();
  }

  /**
   * refreshTokens.findValid through the library.
   *
   * @param c the caller
   * @return the token
   */
  @Benchmark
  public Object tokensFindValid_library(Caller c) {
    return db.refreshTokens().findValid(c.validToken).orElseThrow();
  }

  /**
   * refreshTokens.findValid by hand.
   *
   * @param c the caller
   * @return the token
   * @throws SQLException never, here
   */
  @Benchmark
  public Object tokensFindValid_jdbc(Caller c) throws SQLException {
    return jdbc.findValidToken(c.validToken).orElseThrow();
  }

  /**
   * refreshTokens.rotate through the library: each call rotates the token the last one issued.
   *
   * @param c the caller
   * @return the new token
   */
  @Benchmark
  public Object tokensRotate_library(Caller c) {
    RotationResult result = db.refreshTokens().rotate(c.libraryToken, c.user.id());
    IssuedToken next = ((RotationResult.Rotated) result).next();
    c.libraryToken = next.token();
    return next;
  }

  /**
   * refreshTokens.rotate by hand.
   *
   * @param c the caller
   * @return the new token
   * @throws SQLException never, here
   */
  @Benchmark
  public Object tokensRotate_jdbc(Caller c) throws SQLException {
    IssuedToken next = jdbc.rotate(c.jdbcToken, c.user.id()).orElseThrow();
    c.jdbcToken = next.token();
    return next;
  }

  /**
   * journal.insert through the library.
   *
   * @param c the caller
   * @return the entry
   */
  @Benchmark
  public Object journalInsert_library(Caller c) {
    return db.journal().insert(c.user.id(), CONTENT);
  }

  /**
   * journal.insert by hand, the library's statements.
   *
   * @param c the caller
   * @return the entry
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalInsert_jdbc(Caller c) throws SQLException {
    return jdbc.insertEntry(c.user.id(), CONTENT);
  }

  /**
   * journal.insert by hand as one statement, which the rules allow.
   *
   * @param c the caller
   * @return the entry
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalInsert_jdbcOneStatement(Caller c) throws SQLException {
    return jdbc.insertEntryOneStatement(c.user.id(), CONTENT);
  }

  /**
   * subscriptions.findActive, the entitlement check, through the library.
   *
   * @param c the caller
   * @return the subscription
   */
  @Benchmark
  public Object subscriptionsFindActive_library(Caller c) {
    return db.subscriptions().findActive(c.user.id()).orElseThrow();
  }

  /**
   * subscriptions.findActive by hand.
   *
   * @param c the caller
   * @return the subscription
   * @throws SQLException never, here
   */
  @Benchmark
  public Object subscriptionsFindActive_jdbc(Caller c) throws SQLException {
    return jdbc.findActiveSubscription(c.user.id()).orElseThrow();
  }

  /**
   * journal.list, a page of 20 of a user's 40 entries, through the library.
   *
   * @return the page
   */
  @Benchmark
  public Object journalList20_library() {
    return db.journal().list(listed, 20, 0);
  }

  /**
   * journal.list by hand.
   *
   * @return the page
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalList20_jdbc() throws SQLException {
    return jdbc.listEntries(listed, 20, 0);
  }

  /**
   * journal.listBefore, the newest page of 20 of a user's 40 entries and the next page's cursor,
   * through the library.
   *
   * @return the page
   */
  @Benchmark
  public Object journalListBefore20_library() {
    return db.journal().listBefore(listed, null, 20);
  }

  /**
   * journal.listBefore by hand.
   *
   * @return the page
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalListBefore20_jdbc() throws SQLException {
    return jdbc.firstEntriesPage(listed, 20);
  }

  /**
   * journal.listBefore of the page after the first, by its cursor, through the library: the
   * statement with the cursor's condition.
   *
   * @return the page
   */
  @Benchmark
  public Object journalListOlder20_library() {
    return db.journal().listBefore(listed, older, 20);
  }

  /**
   * The page after the first by hand.
   *
   * @return the page
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalListOlder20_jdbc() throws SQLException {
    return jdbc.olderEntriesPage(listed, older, 20);
  }

  /**
   * journal.totalBytes of a user's 40 entries through the library.
   *
   * @return the total
   */
  @Benchmark
  public long journalTotalBytes_library() {
    return db.journal().totalBytes(listed);
  }

  /**
   * journal.totalBytes by hand.
   *
   * @return the total
   * @throws SQLException never, here
   */
  @Benchmark
  public long journalTotalBytes_jdbc() throws SQLException {
    return jdbc.journalTotalBytes(listed);
  }

  /**
   * subscriptions.findLatest of the thread's user through the library.
   *
   * @param c the caller
   * @return the subscription
   */
  @Benchmark
  public Object subscriptionsFindLatest_library(Caller c) {
    return db.subscriptions().findLatest(c.user.id()).orElseThrow();
  }

  /**
   * subscriptions.findLatest by hand.
   *
   * @param c the caller
   * @return the subscription
   * @throws SQLException never, here
   */
  @Benchmark
  public Object subscriptionsFindLatest_jdbc(Caller c) throws SQLException {
    return jdbc.findLatestSubscription(c.user.id()).orElseThrow();
  }

  /**
   * subscriptions.findByExternalId of the thread's subscription through the library.
   *
   * @param c the caller
   * @return the subscription
   */
  @Benchmark
  public Object subscriptionsFindByExternalId_library(Caller c) {
    return db.subscriptions().findByExternalId("stripe", c.externalId()).orElseThrow();
  }

  /**
   * subscriptions.findByExternalId by hand.
   *
   * @param c the caller
   * @return the subscription
   * @throws SQLException never, here
   */
  @Benchmark
  public Object subscriptionsFindByExternalId_jdbc(Caller c) throws SQLException {
    return jdbc.findSubscription("stripe", c.externalId()).orElseThrow();
  }

  /**
   * subscriptions.listEvents, the thread's subscription's log of ten events or more, through the
   * library.
   *
   * @param c the caller
   * @return the events
   */
  @Benchmark
  public Object subscriptionsListEvents_library(Caller c) {
    return db.subscriptions().listEvents("stripe", c.externalId());
  }

  /**
   * subscriptions.listEvents by hand.
   *
   * @param c the caller
   * @return the events
   * @throws SQLException never, here
   */
  @Benchmark
  public Object subscriptionsListEvents_jdbc(Caller c) throws SQLException {
    return jdbc.listSubscriptionEvents("stripe", c.externalId());
  }

  /**
   * revokedJtis.isRevoked on a revoked id, answered by the cache after the first call.
   *
   * @return true
   */
  @Benchmark
  public boolean jtisIsRevokedCached_library() {
    return db.jtis().isRevoked(revokedJti);
  }

  /**
   * users.upsert, a returning user's sign-in, through the library.
   *
   * @param c the caller
   * @return the user
   */
  @Benchmark
  public Object usersUpsert_library(Caller c) {
    User u = c.someUser(this);
    return db.users().upsert(u.provider(), u.providerSubject(), PROFILE);
  }

  /**
   * users.upsert by hand.
   *
   * @param c the caller
   * @return the user
   * @throws SQLException never, here
   */
  @Benchmark
  public Object usersUpsert_jdbc(Caller c) throws SQLException {
    User u = c.someUser(this);
    return jdbc.upsertUser(u.provider(), u.providerSubject(), PROFILE);
  }

  /**
   * refreshTokens.issue, a sign-in's new token family, through the library.
   *
   * @param c the caller
   * @return the token
   */
  @Benchmark
  public Object tokensIssue_library(Caller c) {
    return db.refreshTokens().issue(c.user.id());
  }

  /**
   * refreshTokens.issue by hand, in one statement.
   *
   * @param c the caller
   * @return the token's secret
   * @throws SQLException never, here
   */
  @Benchmark
  public Object tokensIssue_jdbc(Caller c) throws SQLException {
    return jdbc.issueOneStatement(c.user.id());
  }

  /**
   * journal.findById through the library.
   *
   * @param c the caller
   * @return the entry
   */
  @Benchmark
  public Object journalFindById_library(Caller c) {
    return db.journal().findById(c.user.id(), c.entryId).orElseThrow();
  }

  /**
   * journal.findById by hand.
   *
   * @param c the caller
   * @return the entry
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalFindById_jdbc(Caller c) throws SQLException {
    return jdbc.findEntry(c.user.id(), c.entryId).orElseThrow();
  }

  /**
   * journal.update, the thread's entry rewritten, through the library.
   *
   * @param c the caller
   * @return the entry
   */
  @Benchmark
  public Object journalUpdate_library(Caller c) {
    return db.journal().update(c.user.id(), c.entryId, c.nextContent()).orElseThrow();
  }

  /**
   * journal.update by hand, in one statement.
   *
   * @param c the caller
   * @return the entry
   * @throws SQLException never, here
   */
  @Benchmark
  public Object journalUpdate_jdbc(Caller c) throws SQLException {
    return jdbc.updateEntry(c.user.id(), c.entryId, c.nextContent()).orElseThrow();
  }

  /**
   * jtis.revoke of a new id, a sign-out, through the library.
   *
   * @param c the caller
   */
  @Benchmark
  public void jtisRevoke_library(Caller c) {
    db.jtis().revoke(c.newJti("library"), c.user.id(), Caller.tomorrow());
  }

  /**
   * jtis.revoke by hand, in one statement.
   *
   * @param c the caller
   * @throws SQLException never, here
   */
  @Benchmark
  public void jtisRevoke_jdbc(Caller c) throws SQLException {
    jdbc.revokeJti(c.newJti("jdbc"), c.user.id(), Caller.tomorrow());
  }

  /**
   * subscriptions.upsertActive of a provider's next event for the thread's subscription (a
   * webhook), through the library.
   *
   * @param c the caller
   * @return the update
   */
  @Benchmark
  public Object subscriptionsUpsert_library(Caller c) {
    SubscriptionUpdate update = db.subscriptions().upsertActive(c.subscriptionEvent("library"));
    if (update.outcome() != SubscriptionUpdate.Outcome.APPLIED) {
      // the baseline takes this branch only: anything else would measure another path
      throw new IllegalStateException("expected the event applied, was " + update.outcome());
    }
    return update;
  }

  /**
   * subscriptions.upsertActive of the next event by hand, the same statements in one transaction.
   *
   * @param c the caller
   * @return the update
   * @throws SQLException never, here
   */
  @Benchmark
  public Object subscriptionsUpsert_jdbc(Caller c) throws SQLException {
    return jdbc.applySubscriptionEvent(c.subscriptionEvent("jdbc"));
  }

  /**
   * users.create of a new identity through the library.
   *
   * @param c the caller
   * @return the user
   */
  @Benchmark
  public Object usersCreate_library(Caller c) {
    return db.users().create("google", c.newSubject("library"), PROFILE);
  }

  /**
   * users.create by hand: one insert.
   *
   * @param c the caller
   * @return the user
   * @throws SQLException never, here
   */
  @Benchmark
  public Object usersCreate_jdbc(Caller c) throws SQLException {
    return jdbc.createUser("google", c.newSubject("jdbc"), PROFILE);
  }

  /**
   * users.create, then users.delete of that user, through the library: a delete needs a user to
   * delete, and the pair leaves the table as it was.
   *
   * @param c the caller
   * @return true
   */
  @Benchmark
  public boolean usersCreateThenDelete_library(Caller c) {
    User u = db.users().create("google", c.newSubject("library"), PROFILE);
    return deleted(db.users().delete(u.id()));
  }

  /**
   * The same pair by hand.
   *
   * @param c the caller
   * @return true
   * @throws SQLException never, here
   */
  @Benchmark
  public boolean usersCreateThenDelete_jdbc(Caller c) throws SQLException {
    User u = jdbc.createUser("google", c.newSubject("jdbc"), PROFILE);
    return deleted(jdbc.deleteUser(u.id()));
  }

  /**
   * refreshTokens.issue, then revoke of that token (a sign-out), through the library.
   *
   * @param c the caller
   * @return true
   */
  @Benchmark
  public boolean tokensIssueThenRevoke_library(Caller c) {
    String token = db.refreshTokens().issue(c.user.id()).token();
    return deleted(db.refreshTokens().revoke(token));
  }

  /**
   * The same pair by hand.
   *
   * @param c the caller
   * @return true
   * @throws SQLException never, here
   */
  @Benchmark
  public boolean tokensIssueThenRevoke_jdbc(Caller c) throws SQLException {
    return deleted(jdbc.revokeToken(jdbc.issueOneStatement(c.user.id())));
  }

  /**
   * refreshTokens.revokeAllForUser (a sign-out everywhere) through the library. After the first
   * call the user has no live token left: the later calls measure the statement, at a constant
   * table size.
   *
   * @param c the caller
   * @return how many were revoked
   */
  @Benchmark
  public int tokensRevokeAll_library(Caller c) {
    return db.refreshTokens().revokeAllForUser(c.user.id());
  }

  /**
   * refreshTokens.revokeAllForUser by hand.
   *
   * @param c the caller
   * @return how many were revoked
   * @throws SQLException never, here
   */
  @Benchmark
  public int tokensRevokeAll_jdbc(Caller c) throws SQLException {
    return jdbc.revokeAllTokens(c.user.id());
  }

  /**
   * journal.insert with the caller's id, then delete of that entry, through the library.
   *
   * @param c the caller
   * @return true
   */
  @Benchmark
  public boolean journalInsertWithIdThenDelete_library(Caller c) {
    String id = c.newEntryId("library");
    db.journal().insert(c.user.id(), id, CONTENT);
    return deleted(db.journal().delete(c.user.id(), id));
  }

  /**
   * The same pair by hand.
   *
   * @param c the caller
   * @return true
   * @throws SQLException never, here
   */
  @Benchmark
  public boolean journalInsertWithIdThenDelete_jdbc(Caller c) throws SQLException {
    String id = c.newEntryId("jdbc");
    jdbc.insertEntryWithId(c.user.id(), id, CONTENT);
    return deleted(jdbc.deleteEntry(c.user.id(), id));
  }

  /**
   * refreshTokens.pruneExpired through the library, with nothing expired: the cost of a sweep's
   * statements themselves (a sweep's real cost is the rows it deletes, the same by hand).
   *
   * @return 0
   */
  @Benchmark
  public int tokensPruneExpired_library() {
    return db.refreshTokens().pruneExpired(Instant.now(), PRUNE_BATCH);
  }

  /**
   * refreshTokens.pruneExpired by hand.
   *
   * @return 0
   * @throws SQLException never, here
   */
  @Benchmark
  public int tokensPruneExpired_jdbc() throws SQLException {
    return jdbc.pruneTokens(Instant.now(), fixture.config.refreshReuseGrace(), PRUNE_BATCH);
  }

  /**
   * jtis.pruneExpired through the library, with nothing expired.
   *
   * @return 0
   */
  @Benchmark
  public int jtisPruneExpired_library() {
    return db.jtis().pruneExpired(Instant.now());
  }

  /**
   * jtis.pruneExpired by hand.
   *
   * @return 0
   * @throws SQLException never, here
   */
  @Benchmark
  public int jtisPruneExpired_jdbc() throws SQLException {
    return jdbc.pruneJtis(Instant.now());
  }

  /**
   * subscriptions.runExpirySweep through the library, with nothing due (every period ends in 30
   * days).
   *
   * @return 0
   */
  @Benchmark
  public int subscriptionsExpirySweep_library() {
    return db.subscriptions().runExpirySweep(Instant.now());
  }

  /**
   * The sweep's pass by hand, with nothing due.
   *
   * @return 0
   * @throws SQLException never, here
   */
  @Benchmark
  public int subscriptionsExpirySweep_jdbc() throws SQLException {
    return jdbc.expirySweepNothingDue(Instant.now());
  }

  /** Fails unless a delete or revocation found its row: else the pair measured another path. */
  private static boolean deleted(boolean found) {
    if (!found) {
      throw new IllegalStateException("the row to delete or revoke was not found");
    }
    return true;
  }
}
