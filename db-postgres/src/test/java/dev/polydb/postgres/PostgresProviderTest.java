package dev.polydb.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.pgvector.PGvector;
import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.DbTimeoutException;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.Health;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.SearchScope;
import dev.polydb.api.UserProfile;
import dev.polydb.api.VectorIndexType;
import dev.polydb.testkit.DbProviderContract;
import dev.polydb.testkit.FreshDatabases;
import dev.polydb.testkit.TestClock;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What only PostgreSQL has: server-side statement timeouts and read-only sessions, pgvector's
 * column types, HNSW index and iterative scans, libpq URLs and an unreachable server.
 */
class PostgresProviderTest {
  private static final String MODEL = "test-model";
  private static final float[] QUERY = {1, 0, 0, 0};
  private static final String ADDED_PASSWORD = "s3cret-pw";

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  /**
   * 1500 ms lies between whole seconds: a timeout rounded down to 1 s anywhere (jOOQ's query
   * timeout has whole seconds) would cancel the statement before its time.
   */
  @ParameterizedTest(name = "statement timeout {0} ms")
  @ValueSource(longs = {300, 1500})
  void aStatementWaitingPastTheTimeoutIsCancelledAsDbTimeoutException(long millis)
      throws SQLException {
    Duration timeout = Duration.ofMillis(millis);
    String url = withPassword(databases.newUrl());
    String password = DatabaseUrl.parse(url).password().orElseThrow();
    try (DbProvider db =
        DbProviders.open(
            config(url)
                .statementTimeout(timeout)
                // with a quota, an insert takes the owner's row lock before it writes
                .journalQuotaBytes(1_000_000)
                .build())) {
      String user = db.users().create("google", "sub-1", UserProfile.EMPTY).id();

      try (Connection locker = databases.dataSource(url).getConnection()) {
        locker.setAutoCommit(false);
        try (PreparedStatement lock =
            locker.prepareStatement("select * from users where id = ? for update")) {
          lock.setString(1, user);
          lock.executeQuery().close();
        }

        long start = System.nanoTime();
        DbTimeoutException e =
            catchThrowableOfType(DbTimeoutException.class, () -> db.journal().insert(user, "x"));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        locker.rollback();

        assertThat(e).isNotNull();
        assertThat(e.sqlState()).contains("57014");
        assertThat(e).hasMessageStartingWith("journal insert failed: ");
        assertThat(e.getMessage()).doesNotContain(password);
        // it waited for the lock for the whole timeout (the server's timer may fire a few ms
        // before this clock says it is due: a timeout rounded down to whole seconds would be
        // 500 ms early), and gave up well before the default 5 s
        assertThat(elapsed)
            .isGreaterThanOrEqualTo(timeout.minusMillis(50))
            .isLessThan(timeout.plus(Duration.ofSeconds(2)));
      }

      assertThat(db.journal().insert(user, "x").content()).isEqualTo("x");
    }
  }

  /**
   * Postgres refuses every statement of a transaction after a failed one; a read or a health check
   * inside {@code inTransaction} runs under a savepoint, so its failure leaves the caller's
   * transaction usable, as on SQLite.
   */
  @Test
  void aReadOrHealthCheckThatTimesOutInsideATransactionLeavesItUsable() throws SQLException {
    String url = databases.newUrl();
    try (DbProvider db =
            DbProviders.open(config(url).statementTimeout(Duration.ofMillis(300)).build());
        Connection locker = databases.dataSource(url).getConnection()) {
      locker.setAutoCommit(false);
      String kept =
          db.inTransaction(
              tx -> {
                String id = tx.users().create("google", "ada", UserProfile.EMPTY).id();
                lockExclusively(locker, "schema_migrations", "journal_entries");

                Health health = tx.health();
                assertThat(health.reachable()).isFalse();
                assertThat(health.problem()).hasValueSatisfying(p -> assertThat(p).isNotBlank());
                assertThatThrownBy(() -> tx.journal().list(id, 10, 0))
                    .isInstanceOf(DbTimeoutException.class);

                rollback(locker);
                assertThat(tx.health().reachable()).isTrue();
                tx.journal().insert(id, "after the timeouts");
                return id;
              });

      assertThat(db.users().findById(kept)).isPresent();
      assertThat(db.journal().list(kept, 10, 0))
          .extracting(JournalEntry::content)
          .containsExactly("after the timeouts");
    }
  }

  private static void lockExclusively(Connection c, String... tables) {
    try (Statement st = c.createStatement()) {
      st.execute("lock table " + String.join(", ", tables) + " in access exclusive mode");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void everyPooledConnectionCarriesTheStatementTimeoutInMilliseconds() throws SQLException {
    // jOOQ's query timeout has whole seconds (300 ms would be 1 s), so the server setting is what
    // makes a sub-second timeout hold; it is checked where it lives
    DbConfig config =
        config(databases.newUrl()).poolSize(3).statementTimeout(Duration.ofMillis(300)).build();
    PostgresBackend backend = new PostgresBackend(DatabaseUrl.parse(config.url()), config);
    try {
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          held.add(backend.dataSource().getConnection());
        }
        for (Connection c : held) {
          assertThat(show(c, "statement_timeout")).isEqualTo("300ms");
        }
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
    } finally {
      backend.close();
    }
  }

  @Test
  void aReadOnlyProvidersConnectionsAreRefusedWritesByTheServer() throws SQLException {
    String url = databases.newUrl();
    String user;
    try (DbProvider db = DbProviders.open(config(url).build())) {
      user = db.users().create("google", "sub-1", UserProfile.EMPTY).id();
    }
    DbConfig readOnly = config(url).mutationsEnabled(false).build();

    // bypassing the library's own check, on the pool and on the migration connection alike
    PostgresBackend backend = new PostgresBackend(DatabaseUrl.parse(url), readOnly);
    try {
      for (DataSource ds : List.of(backend.dataSource(), backend.migrationDataSource())) {
        try (Connection c = ds.getConnection();
            Statement st = c.createStatement()) {
          assertThat(c.getAutoCommit()).isTrue();
          assertThat(show(c, "default_transaction_read_only")).isEqualTo("on");
          assertThatThrownBy(
                  () ->
                      st.executeUpdate(
                          "insert into users (id, provider, provider_subject, created_at,"
                              + " updated_at) values ('bypass', 'google', 'sub-2', now(), now())"))
              .isInstanceOfSatisfying(
                  SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25006"));
        }
      }
    } finally {
      backend.close();
    }

    try (DbProvider db = DbProviders.open(readOnly)) {
      assertThat(db.users().findById(user)).isPresent();
      assertThatThrownBy(() -> db.users().delete(user)).isInstanceOf(DbReadOnlyException.class);
    }
  }

  @ParameterizedTest(name = "{0} dimensions, {1}, {2}: {3} {4} {5}")
  @CsvSource({
    "1536, COSINE, HNSW, vector(1536), hnsw, vector_cosine_ops",
    "1536, L2, HNSW, vector(1536), hnsw, vector_l2_ops",
    "2000, INNER_PRODUCT, HNSW, vector(2000), hnsw, vector_ip_ops",
    "2001, COSINE, HNSW, halfvec(2001), hnsw, halfvec_cosine_ops",
    "2048, L2, HNSW, halfvec(2048), hnsw, halfvec_l2_ops",
    "1536, COSINE, IVFFLAT, vector(1536), ivfflat, vector_cosine_ops",
    "2048, INNER_PRODUCT, IVFFLAT, halfvec(2048), ivfflat, halfvec_ip_ops",
    "1536, L2, NONE, vector(1536), , ",
    "4000, COSINE, HNSW, halfvec(4000), hnsw, halfvec_cosine_ops",
    "4000, L2, IVFFLAT, halfvec(4000), ivfflat, halfvec_l2_ops",
    // neither index takes more than 4000 dimensions of halfvec: above, the default (no index
    // asked for) is exact search, and asking for one is refused by DbConfig
    "4001, COSINE, , halfvec(4001), , ",
  })
  void theEmbeddingColumnAndIndexFollowTheSettings(
      int dimension,
      DistanceMetric metric,
      VectorIndexType indexType,
      String columnType,
      String method,
      String operatorClass)
      throws SQLException {
    String url = databases.newUrl();
    try (DbProvider db =
        DbProviders.open(
            (indexType == null
                    ? config(url)
                    : config(url).vectorIndex(indexType).vectorIvfflatLists(37))
                .vectorDimension(dimension)
                .vectorMetric(metric)
                .build())) {
      assertThat(db.vectors().settings().dimension()).isEqualTo(dimension);
    }
    assertThat(embeddingType(url)).isEqualTo(columnType);
    List<String> index = embeddingIndex(url);
    if (method == null) {
      assertThat(index).isEmpty();
    } else {
      assertThat(index)
          .singleElement(InstanceOfAssertFactories.STRING)
          .contains("USING " + method + " (embedding " + operatorClass + ")");
    }
    if ("ivfflat".equals(method)) {
      assertThat(index.get(0)).contains("lists='37'");
    }
  }

  @Test
  void vectorsAboveTwoThousandDimensionsAreStoredAsHalfvecAndStillSearchable() throws SQLException {
    int dimension = 2048;
    String url = databases.newUrl();
    Random random = new Random(2048);
    float[] a = randomVector(random, dimension);
    float[] b = randomVector(random, dimension);
    float[] c = randomVector(random, dimension);
    // random directions in 2048 dimensions are nearly orthogonal: the query leans to a, then b
    float[] query = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      query[i] = a[i] + 0.5f * b[i] + 0.2f * c[i];
    }

    try (DbProvider db = DbProviders.open(config(url).vectorDimension(dimension).build())) {
      assertThat(embeddingType(url)).isEqualTo("halfvec(2048)");
      String user = db.users().create("google", "sub-1", UserProfile.EMPTY).id();
      db.vectors().upsert(List.of(chunk("c", user, c), chunk("a", user, a), chunk("b", user, b)));

      List<ChunkMatch> matches = db.vectors().search(query, 3, SearchScope.user(user));

      assertThat(matches).extracting(m -> m.chunk().id()).containsExactly("a", "b", "c");
      Map<String, float[]> stored = Map.of("a", a, "b", b, "c", c);
      for (ChunkMatch m : matches) {
        float[] want = stored.get(m.chunk().id());
        float[] got = m.chunk().embedding();
        assertThat(m.distance()).isCloseTo(cosineDistance(want, query), within(1e-3));
        // float16 keeps 11 significant bits: each value in [-1, 1] is off by at most 2^-12
        assertThat(got).hasSize(dimension);
        for (int i = 0; i < dimension; i++) {
          assertThat(got[i]).as("%s[%d]", m.chunk().id(), i).isCloseTo(want[i], within(3e-4f));
        }
        // and the values are rounded to that precision, not kept as float32
        assertThat(got).isNotEqualTo(want);
      }
    }
  }

  @Test
  void aScopedSearchReturnsKRowsWhenTheIndexsFirstCandidatesBelongToAnotherUser()
      throws SQLException {
    String url = databases.newUrl();
    try (DbProvider db =
        DbProviders.open(
            config(url)
                .vectorDimension(DbProviderContract.DIMENSION)
                // a narrow candidate list: without iterative scans, all of it is the near user's
                .vectorEfSearch(10)
                .build())) {
      List<Chunk> farChunks = nearAndFarChunks(db);

      try (Connection c = databases.dataSource(url).getConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("analyze chunks");
        }
        // the premise: the planner answers the search's query from the HNSW index
        assertThat(explainSearch(c, farChunks.get(0).userId(), QUERY))
            .contains("chunks_embedding_idx");
      }

      List<ChunkMatch> matches =
          db.vectors().search(QUERY, 10, SearchScope.user(farChunks.get(0).userId()));

      assertThat(matches)
          .extracting(m -> m.chunk().id())
          .containsExactlyElementsOf(exactNearest(farChunks, QUERY, 10));
    }
  }

  /**
   * IVFFlat probes the lists nearest the query; the near user's chunks fill them, and without
   * iterative scans the far user would get fewer than k rows.
   */
  @Test
  void anIvfflatStoreReturnsKRowsToAScopedSearchOnceItsListsAreBuiltOnTheData()
      throws SQLException {
    String url = databases.newUrl();
    try (DbProvider db =
        DbProviders.open(
            config(url)
                .vectorDimension(DbProviderContract.DIMENSION)
                .vectorIndex(VectorIndexType.IVFFLAT)
                .vectorIvfflatLists(40)
                .vectorIvfflatProbes(2)
                .build())) {
      List<Chunk> farChunks = nearAndFarChunks(db);
      String far = farChunks.get(0).userId();

      try (Connection c = databases.dataSource(url).getConnection()) {
        try (Statement st = c.createStatement()) {
          // as VectorIndexType.IVFFLAT says: the lists are centred on the rows present when built
          st.execute("reindex index chunks_embedding_idx");
          st.execute("analyze chunks");
        }
        // the premises: the planner answers from the IVFFlat index, and the two lists probed
        // first hold too few of the far user's rows without iterative scans
        assertThat(explainSearch(c, far, QUERY)).contains("chunks_embedding_idx");
        assertThat(searchSql(c, "", far, QUERY, "off", "off")).hasSizeLessThan(10);
      }

      List<ChunkMatch> matches = db.vectors().search(QUERY, 10, SearchScope.user(far));

      assertThat(matches)
          .hasSize(10)
          .allSatisfy(m -> assertThat(m.chunk().userId()).isEqualTo(far));
      assertThat(matches)
          .isSortedAccordingTo(
              Comparator.comparingDouble(ChunkMatch::distance).thenComparing(m -> m.chunk().id()));
      assertThat(matches)
          .extracting(m -> m.chunk().id())
          .containsExactlyElementsOf(exactNearest(farChunks, QUERY, 10));
    }
  }

  @Test
  void aStoreWithoutAnIndexSearchesExactly() throws SQLException {
    String url = databases.newUrl();
    try (DbProvider db =
        DbProviders.open(
            config(url)
                .vectorDimension(DbProviderContract.DIMENSION)
                .vectorIndex(VectorIndexType.NONE)
                .build())) {
      List<Chunk> farChunks = nearAndFarChunks(db);
      String far = farChunks.get(0).userId();
      assertThat(embeddingIndex(url)).isEmpty();

      List<ChunkMatch> matches = db.vectors().search(QUERY, 25, SearchScope.user(far));

      assertThat(matches)
          .extracting(m -> m.chunk().id())
          .containsExactlyElementsOf(exactNearest(farChunks, QUERY, 25));
    }
  }

  /**
   * Two users' chunks around {@link #QUERY}: the near user's lie within 30 degrees of it. The far
   * user has ten at 60 to 69 degrees and many more beyond 120: as many rows as the near user, so
   * that the planner expects the owner filter to keep half of what an index yields and chooses the
   * index (with a few far rows it would read them through the owner index and sort them, and never
   * show the problem). The gap between the ten and the rest keeps the exact answer unambiguous.
   *
   * @return the far user's chunks
   */
  private static List<Chunk> nearAndFarChunks(DbProvider db) {
    Random random = new Random(7);
    String near = db.users().create("google", "near", UserProfile.EMPTY).id();
    String far = db.users().create("google", "far", UserProfile.EMPTY).id();
    List<Chunk> nearChunks = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      nearChunks.add(chunk("a-" + i, near, atAngle(random.nextDouble() * 30, random)));
    }
    List<Chunk> farChunks = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      farChunks.add(chunk("b-" + i, far, atAngle(60 + i, random)));
    }
    for (int i = 0; i < 990; i++) {
      farChunks.add(chunk("c-" + i, far, atAngle(120 + random.nextDouble() * 60, random)));
    }
    db.vectors().upsert(nearChunks);
    db.vectors().upsert(farChunks);
    return farChunks;
  }

  @Test
  void everyFormOfPostgresUrlOpensTheSameSchema() {
    String url = databases.newUrl();
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    String query = url.substring(url.indexOf('?') + 1);
    String userInfo =
        parsed.user().map(PostgresProviderTest::encode).orElse("")
            + parsed.password().map(p -> ":" + encode(p)).orElse("")
            + (parsed.user().isPresent() ? "@" : "");
    String hostAndDatabase =
        parsed.host().orElseThrow()
            + ":"
            + parsed.port()
            + "/"
            + encode(parsed.database().orElseThrow());
    String jdbcCredentials =
        parsed.user().map(u -> "user=" + encode(u) + "&").orElse("")
            + parsed.password().map(p -> "password=" + encode(p) + "&").orElse("");
    List<String> forms =
        List.of(
            "postgres://" + userInfo + hostAndDatabase + "?" + query,
            "postgresql://" + userInfo + hostAndDatabase + "?" + query,
            "jdbc:postgresql://" + hostAndDatabase + "?" + jdbcCredentials + query);

    String id;
    try (DbProvider db = DbProviders.open(config(forms.get(0)).build())) {
      id = db.users().create("google", "sub-1", UserProfile.EMPTY).id();
    }
    for (String form : forms) {
      try (DbProvider db = DbProviders.open(config(form).build())) {
        assertThat(db.users().findById(id)).as(DatabaseUrl.redact(form)).isPresent();
      }
    }
  }

  @Test
  void aLibpqOptionReachesTheServerAndCloseEndsEverySession() throws Exception {
    String url = databases.newUrl();
    byte[] random = new byte[4];
    new Random().nextBytes(random);
    // unique, so that another run on the same server is not counted
    String name = "polydb-test-" + HexFormat.of().formatHex(random);
    String sessions =
        "select count(*) from pg_stat_activity"
            + " where application_name = ? and datname = current_database()";

    DbProvider db = DbProviders.open(config(url + "&application_name=" + name).build());
    try {
      db.users().create("google", "sub-1", UserProfile.EMPTY);
      assertThat(Long.parseLong(strings(url, sessions, name).get(0))).isPositive();
    } finally {
      db.close();
    }

    // a server process ends shortly after its client says goodbye; nothing signals it, so poll
    try (Connection c = databases.dataSource(url).getConnection();
        PreparedStatement ps = c.prepareStatement(sessions)) {
      ps.setString(1, name);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      long left = count(ps);
      while (left > 0 && System.nanoTime() < deadline) {
        TimeUnit.MILLISECONDS.sleep(20);
        left = count(ps);
      }
      assertThat(left).isZero();
    }
  }

  @Test
  void anUnreachableServerIsATransientErrorThatNamesTheRedactedUrl() {
    for (String url :
        List.of(
            "postgres://u:s3cret-pw@127.0.0.1:1/db",
            "jdbc:postgresql://127.0.0.1:1/db?user=u&password=s3cret-pw")) {
      long start = System.nanoTime();
      DbTransientException e =
          catchThrowableOfType(
              DbTransientException.class,
              () -> DbProviders.open(DbConfig.builder().url(url).build()));
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

      assertThat(e).as(url).isNotNull();
      assertThat(e.sqlState()).contains("08001");
      assertThat(e).hasMessageContaining(DatabaseUrl.redact(url)).hasMessageContaining("***");
      for (Throwable t = e; t != null; t = t.getCause()) {
        assertThat(String.valueOf(t.getMessage())).doesNotContain("s3cret-pw");
      }
      // a refused connection is not retried for the pool's 30 s connection timeout
      assertThat(elapsed).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void aServerThatCannotTakeAConnectionNowIsATransientErrorWhenOpening() throws SQLException {
    String url = databases.newUrl();
    String role = "polydb_limited_" + Long.toHexString(System.nanoTime());
    try (Connection admin = databases.dataSource(url).getConnection();
        Statement st = admin.createStatement()) {
      st.execute("create role " + role + " login password 'limited-pw' connection limit 0");
      try {
        String asRole = url.replaceFirst("://[^@/]*@", "://" + role + ":limited-pw@");
        assertThat(asRole).as("a URL with a user").contains(role);

        DbTransientException e =
            catchThrowableOfType(
                DbTransientException.class, () -> DbProviders.open(config(asRole).build()));

        // "too many connections for role": retrying later may succeed, the URL is not wrong
        assertThat(e).isNotNull();
        assertThat(e.sqlState()).contains("53300");
        assertThat(e.getMessage()).doesNotContain("limited-pw");
      } finally {
        st.execute("drop role " + role);
      }
    }
  }

  @Test
  void aGraceSealLivesNoLongerThanItsWindow() throws SQLException {
    String url = databases.newUrl();
    TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (DbProvider db =
        DbProviders.open(
            config(url).clock(clock).refreshReuseGrace(Duration.ofSeconds(10)).build())) {
      String user = db.users().create("google", "ada", UserProfile.EMPTY).id();
      IssuedToken parent = db.refreshTokens().issue(user);
      IssuedToken child = db.refreshTokens().rotate(parent.token(), user).issued().orElseThrow();
      String sealOf = "select grace_seal from refresh_tokens where id = ?";
      assertThat(strings(url, sealOf, child.record().id())).doesNotContainNull();

      clock.advance(Duration.ofSeconds(11));
      db.refreshTokens().pruneExpired(clock.instant(), 100);

      // a dump and the old parent no longer reveal the live child
      assertThat(strings(url, sealOf, child.record().id())).containsExactly((String) null);
      assertThat(db.refreshTokens().findValid(child.token())).isPresent();
    }
  }

  /** A small pool: the test server is shared. */
  private static DbConfig.Builder config(String url) {
    return DbConfig.builder().url(url).poolSize(2);
  }

  /**
   * The URL with a password: its own, or one added to it, which a server that trusts the tests'
   * connections never asks for.
   */
  private static String withPassword(String url) {
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    if (parsed.password().isPresent()) {
      return url;
    }
    if (url.startsWith("jdbc:")) {
      return url + "&password=" + ADDED_PASSWORD;
    }
    int at = url.indexOf('@', url.indexOf("://") + 3);
    // a libpq URL without a user has no place for a password: it relies on the defaults
    assertThat(at).as("user in %s", parsed.redacted()).isPositive();
    return url.substring(0, at) + ":" + ADDED_PASSWORD + url.substring(at);
  }

  private static String encode(String s) {
    // the URL parser takes '+' literally, as libpq does
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String show(Connection c, String setting) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("show " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long count(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private List<String> strings(String url, String sql, String... args) throws SQLException {
    try (Connection c = databases.dataSource(url).getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      List<String> values = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          values.add(rs.getString(1));
        }
      }
      return values;
    }
  }

  private List<String> embeddingIndex(String url) throws SQLException {
    return strings(
        url,
        "select indexdef from pg_indexes where schemaname = ? and indexname = ?",
        databases.server().schemaOf(url),
        "chunks_embedding_idx");
  }

  private String embeddingType(String url) throws SQLException {
    return strings(
            url,
            "select format_type(atttypid, atttypmod) from pg_attribute"
                + " where attrelid = 'chunks'::regclass and attname = 'embedding'")
        .get(0);
  }

  /** The plan of the query PostgresVectorIndex sends for k = 10, under the same settings. */
  private static String explainSearch(Connection c, String userId, float[] query)
      throws SQLException {
    return String.join(
        "\n", searchSql(c, "explain ", userId, query, "strict_order", "relaxed_order"));
  }

  /**
   * The query PostgresVectorIndex sends for k = 10, with ef_search 10, 2 IVFFlat probes and the
   * given iterative scan modes.
   *
   * @return each row's first column
   */
  private static List<String> searchSql(
      Connection c, String prefix, String userId, float[] query, String hnswScan, String ivfScan)
      throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement();
        PreparedStatement search =
            c.prepareStatement(
                prefix
                    + "select id, embedding <=> cast(? as vector) as distance from chunks"
                    + " where user_id = ? order by embedding <=> cast(? as vector)"
                    + " fetch next 10 rows with ties")) {
      st.execute("set local hnsw.ef_search = 10");
      st.execute("set local hnsw.iterative_scan = " + hnswScan);
      st.execute("set local ivfflat.probes = 2");
      st.execute("set local ivfflat.iterative_scan = " + ivfScan);
      String vector = new PGvector(query).getValue();
      search.setObject(1, vector, Types.OTHER);
      search.setString(2, userId);
      search.setObject(3, vector, Types.OTHER);
      List<String> rows = new ArrayList<>();
      try (ResultSet rs = search.executeQuery()) {
        while (rs.next()) {
          rows.add(rs.getString(1));
        }
      }
      return rows;
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
  }

  private static Chunk chunk(String id, String userId, float[] embedding) {
    return Chunk.of(id, userId, "doc", 0, "text of " + id, Map.of(), embedding, MODEL);
  }

  private static float[] randomVector(Random random, int dimension) {
    float[] v = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      v[i] = random.nextFloat() * 2 - 1;
    }
    return v;
  }

  /** A unit-ish vector at an angle from the query's axis, a little off the plane. */
  private static float[] atAngle(double degrees, Random random) {
    double r = Math.toRadians(degrees);
    return new float[] {
      (float) Math.cos(r),
      (float) Math.sin(r),
      random.nextFloat() * 0.01f,
      random.nextFloat() * 0.01f
    };
  }

  private static double cosineDistance(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return 1 - dot / Math.sqrt(na * nb);
  }

  /** Brute force: the ids of the k chunks nearest to the query, ties broken by id. */
  private static List<String> exactNearest(List<Chunk> chunks, float[] query, int k) {
    return chunks.stream()
        .sorted(
            Comparator.comparingDouble((Chunk ch) -> cosineDistance(ch.embedding(), query))
                .thenComparing(Chunk::id))
        .limit(k)
        .map(Chunk::id)
        .toList();
  }
}
