package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.SearchScope;
import dev.polydb.api.UserProfile;
import dev.polydb.api.VectorSettings;
import dev.polydb.api.VectorStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** §9 vector search: chunks, dimension and model rules, scoped nearest-neighbour search. */
public abstract class VectorStoreContract {

  private static final String MODEL = "test-model";
  private static final double TOLERANCE = 1e-6;

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  @BeforeEach
  void needsVectorSearch() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "the backend declares no vector search");
  }

  private VectorStore vectors() {
    return fixture().db().vectors();
  }

  private String newUser(String subject) {
    return newUser(fixture().db(), subject);
  }

  private static String newUser(DbProvider db, String subject) {
    return db.users().create("test", subject, UserProfile.EMPTY).id();
  }

  private static float[] vec(float... values) {
    return values;
  }

  private static Chunk chunk(String id, String userId, String documentId, float... embedding) {
    return chunk(id, userId, documentId, Map.of(), embedding);
  }

  private static Chunk chunk(
      String id,
      String userId,
      String documentId,
      Map<String, String> metadata,
      float... embedding) {
    return Chunk.of(id, userId, documentId, 0, "text of " + id, metadata, embedding, MODEL);
  }

  private static Chunk withModel(Chunk c, String model) {
    return Chunk.of(
        c.id(),
        c.userId(),
        c.documentId(),
        c.chunkIndex(),
        c.text(),
        c.metadata(),
        c.embedding(),
        model);
  }

  private static List<String> ids(List<ChunkMatch> matches) {
    return matches.stream().map(m -> m.chunk().id()).toList();
  }

  private List<ChunkMatch> searchAll(String userId, float... query) {
    return vectors().search(query, 1000, SearchScope.user(userId));
  }

  private static void assertRefused(ThrowingCallable call, String field) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo(field));
  }

  /** The distance pgvector would report, computed in double precision from the stored floats. */
  private static double distance(DistanceMetric metric, float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    double sq = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
      double d = (double) a[i] - b[i];
      sq += d * d;
    }
    return switch (metric) {
      case COSINE -> 1 - dot / (Math.sqrt(na) * Math.sqrt(nb));
      case L2 -> Math.sqrt(sq);
      case INNER_PRODUCT -> -dot;
    };
  }

  /** Brute force: the ids of the {@code k} nearest chunks, ties by id. */
  private static List<String> nearest(
      List<Chunk> chunks, float[] query, DistanceMetric metric, int k) {
    return chunks.stream()
        .sorted(
            Comparator.comparingDouble((Chunk c) -> distance(metric, c.embedding(), query))
                .thenComparing(Chunk::id))
        .limit(k)
        .map(Chunk::id)
        .toList();
  }

  private static void assertDistances(
      List<ChunkMatch> matches, DistanceMetric metric, float[] query) {
    for (ChunkMatch m : matches) {
      assertThat(m.distance())
          .as("distance of %s", m.chunk().id())
          .isCloseTo(distance(metric, m.chunk().embedding(), query), within(TOLERANCE));
    }
  }

  @Test
  void tiesAreBrokenByIdInBinaryOrderWhateverTheDatabasesCollation() {
    String user = newUser("ties-binary");
    // a linguistic collation (en-US, as many servers use) would order these _, a, a-b, ab, B:
    // the contract orders ids by code point (UTF-8 bytes), where Java's String.compareTo would
    // put the emoji (a surrogate pair) before the fullwidth A (U+FF21)
    List<String> ids = List.of("a", "a-b", "ab", "B", "_", "Z9", "z", "\uFF21", "\uD83D\uDE00");
    vectors().upsert(ids.stream().map(id -> chunk(id, user, "doc", 1f, 1f, 0f, 0f)).toList());

    List<ChunkMatch> found =
        vectors().search(vec(1f, 1f, 0f, 0f), ids.size(), SearchScope.user(user));

    assertThat(ids(found))
        .containsExactly("B", "Z9", "_", "a", "a-b", "ab", "z", "\uFF21", "\uD83D\uDE00");
    assertThat(ids(vectors().search(vec(1f, 1f, 0f, 0f), 2, SearchScope.user(user))))
        .containsExactly("B", "Z9");
  }

  @Test
  void searchReturnsNearestFirstWithCosineDistance() {
    String user = newUser("vec-user");
    vectors()
        .upsert(
            List.of(
                chunk("d", user, "doc", -1, 0, 0, 0),
                chunk("a", user, "doc", 1, 0, 0, 0),
                chunk("c", user, "doc", 0, 1, 0, 0),
                chunk("e", user, "doc", 0.5f, 0.5f, 0.5f, 0.5f),
                chunk("b", user, "doc", 1, 1, 0, 0)));
    float[] query = vec(1, 0.2f, 0, 0);

    List<ChunkMatch> matches = vectors().search(query, 10, SearchScope.user(user));

    assertThat(ids(matches)).containsExactly("a", "b", "e", "c", "d");
    assertThat(matches.get(0).distance()).isCloseTo(1 - 1 / Math.sqrt(1.04), within(TOLERANCE));
    assertThat(matches.get(4).distance()).isCloseTo(1 + 1 / Math.sqrt(1.04), within(TOLERANCE));
    assertDistances(matches, DistanceMetric.COSINE, query);
  }

  @Test
  void equalDistancesAreOrderedById() {
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("t-c", user, "doc", 1, 2, 3, 4)));
    vectors().upsert(List.of(chunk("far", user, "doc", -1, -2, -3, -4)));
    vectors().upsert(List.of(chunk("t-a", user, "doc", 1, 2, 3, 4)));
    vectors().upsert(List.of(chunk("t-b", user, "doc", 1, 2, 3, 4)));

    List<ChunkMatch> matches = searchAll(user, 1, 2, 3, 4.5f);

    assertThat(ids(matches)).containsExactly("t-a", "t-b", "t-c", "far");
    assertThat(matches.get(1).distance())
        .isCloseTo(matches.get(0).distance(), within(1e-12))
        .isCloseTo(matches.get(2).distance(), within(1e-12));
  }

  @Test
  void kLimitsTheResults() {
    String user = newUser("vec-user");
    vectors()
        .upsert(
            List.of(
                chunk("a", user, "doc", 1, 0, 0, 0),
                chunk("b", user, "doc", 1, 1, 0, 0),
                chunk("c", user, "doc", 0, 1, 0, 0),
                chunk("d", user, "doc", -1, 1, 0, 0),
                chunk("e", user, "doc", -1, 0, 0, 0)));
    float[] query = vec(1, 0, 0, 0);
    SearchScope scope = SearchScope.user(user);

    assertThat(ids(vectors().search(query, 3, scope))).containsExactly("a", "b", "c");
    assertThat(ids(vectors().search(query, 1, scope))).containsExactly("a");
    assertThat(ids(vectors().search(query, 1000, scope))).containsExactly("a", "b", "c", "d", "e");
  }

  @Test
  void kOutOfRangeIsRefused() {
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("a", user, "doc", 1, 0, 0, 0)));
    float[] query = vec(1, 0, 0, 0);
    SearchScope scope = SearchScope.user(user);

    for (int k : new int[] {0, -1, 1001}) {
      assertRefused(() -> vectors().search(query, k, scope), "k");
    }
    assertThat(vectors().search(query, 1000, scope)).hasSize(1);
  }

  @Test
  void searchNeverReturnsAnotherUsersChunks() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    String carol = newUser("carol");
    vectors()
        .upsert(
            List.of(
                chunk("a1", alice, "doc", 0, 1, 0, 0),
                chunk("a2", alice, "doc", 0, 0, 1, 0),
                chunk("b1", bob, "doc", 1, 0, 0, 0)));

    List<ChunkMatch> forAlice = searchAll(alice, 1, 0, 0, 0);
    assertThat(ids(forAlice)).containsExactly("a1", "a2");
    assertThat(forAlice).allSatisfy(m -> assertThat(m.chunk().userId()).isEqualTo(alice));
    assertThat(ids(searchAll(bob, 1, 0, 0, 0))).containsExactly("b1");
    assertThat(searchAll(carol, 1, 0, 0, 0)).isEmpty();
  }

  @Test
  void documentFilterKeepsOnlyThoseDocuments() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    vectors()
        .upsert(
            List.of(
                chunk("d1", alice, "doc1", 0, 0, 1, 0),
                chunk("d2", alice, "doc2", 1, 0, 0, 0),
                chunk("d3", alice, "doc3", 1, 1, 0, 0),
                chunk("bob-d1", bob, "doc1", 1, 0, 0, 0)));
    float[] query = vec(1, 0, 0, 0);

    List<ChunkMatch> matches =
        vectors().search(query, 10, SearchScope.user(alice).documents("doc1", "doc3"));

    assertThat(ids(matches)).containsExactly("d3", "d1");
    assertThat(vectors().search(query, 10, SearchScope.user(alice).documents("none"))).isEmpty();
  }

  @Test
  void metadataFilterRequiresEveryPair() {
    String user = newUser("vec-user");
    vectors()
        .upsert(
            List.of(
                chunk("en-note", user, "doc", Map.of("lang", "en", "kind", "note"), 1, 0, 0, 0),
                chunk("en-faq", user, "doc", Map.of("lang", "en", "kind", "faq"), 1, 1, 0, 0),
                chunk("de-note", user, "doc", Map.of("lang", "de", "kind", "note"), 1, 0, 1, 0),
                chunk("bare", user, "doc", Map.of(), 1, 0, 0, 1)));
    float[] query = vec(1, 0, 0, 0);
    SearchScope english = SearchScope.user(user).withMetadata("lang", "en");

    assertThat(ids(vectors().search(query, 10, english))).containsExactly("en-note", "en-faq");
    assertThat(ids(vectors().search(query, 10, english.withMetadata("kind", "note"))))
        .containsExactly("en-note");
    assertThat(vectors().search(query, 10, english.withMetadata("kind", "blog"))).isEmpty();
    assertThat(vectors().search(query, 10, SearchScope.user(user).withMetadata("missing", "x")))
        .isEmpty();
    assertThat(
            ids(
                vectors()
                    .search(
                        query,
                        10,
                        SearchScope.user(user).documents("doc").withMetadata("kind", "note"))))
        .containsExactly("en-note", "de-note");
  }

  @Test
  void filteredSearchStillReturnsKRows() {
    String user = newUser("vec-user");
    List<Chunk> chunks = new ArrayList<>();
    List<Chunk> matching = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String id = String.format("c%02d", i);
      if (i % 5 == 0) {
        // The filtered chunks are the farthest from the query, so a filter applied after a plain
        // top-k would find none of them.
        Chunk c = chunk(id, user, "doc", Map.of("tag", "match"), -1, i * 0.01f, 0.5f, 0);
        chunks.add(c);
        matching.add(c);
      } else {
        chunks.add(chunk(id, user, "doc", Map.of("tag", "other"), 1, i * 0.01f, 0, 0));
      }
    }
    vectors().upsert(chunks);
    float[] query = vec(1, 0, 0, 0);

    List<ChunkMatch> matches =
        vectors().search(query, 10, SearchScope.user(user).withMetadata("tag", "match"));

    assertThat(matches).hasSize(10);
    assertThat(ids(matches))
        .containsExactlyElementsOf(nearest(matching, query, DistanceMetric.COSINE, 10));
  }

  @Test
  void upsertReplacesByIdAndKeepsCreatedAt() {
    String user = newUser("vec-user");
    Instant created = fixture().clock().instant();
    assertThat(
            vectors()
                .upsert(
                    List.of(
                        Chunk.of(
                            "c1",
                            user,
                            "doc1",
                            0,
                            "old",
                            Map.of("v", "1"),
                            vec(1, 0, 0, 0),
                            MODEL))))
        .isEqualTo(1);
    fixture().clock().advance(Duration.ofHours(1));

    Chunk replacement =
        Chunk.of("c1", user, "doc2", 3, "new", Map.of("v", "2", "w", "x"), vec(0, 1, 0, 0), MODEL);
    assertThat(vectors().upsert(List.of(replacement))).isEqualTo(1);

    List<ChunkMatch> matches = searchAll(user, 1, 0, 0, 0);
    assertThat(matches).hasSize(1);
    assertThat(matches.get(0).chunk())
        .isEqualTo(
            new Chunk(
                "c1",
                user,
                "doc2",
                3,
                "new",
                Map.of("v", "2", "w", "x"),
                vec(0, 1, 0, 0),
                MODEL,
                Optional.of(created)));
    assertThat(matches.get(0).distance()).isCloseTo(1.0, within(TOLERANCE));
    assertThat(vectors().deleteByDocument(user, "doc1")).isZero();
  }

  @Test
  void chunkRoundTripsExactly() {
    String user = newUser("vec-user");
    fixture().clock().set(DbProviderContract.START.plusNanos(123_456_789));
    String text = "héllo 🌍 שלום עולם e\u0301 日本語\n\ttab";
    Map<String, String> metadata = Map.of("source", "ünïcødé 値", "page", "12", "empty", "");
    float[] embedding = vec(0.1f, -0.333f, 1e-7f, 12345.678f);

    vectors().upsert(List.of(Chunk.of("c1", user, "doc", 7, text, metadata, embedding, MODEL)));

    List<ChunkMatch> matches = vectors().search(embedding, 1, SearchScope.user(user));
    assertThat(matches).hasSize(1);
    Chunk stored = matches.get(0).chunk();
    assertThat(stored)
        .isEqualTo(
            new Chunk(
                "c1",
                user,
                "doc",
                7,
                text,
                metadata,
                embedding,
                MODEL,
                Optional.of(DbProviderContract.START.plusMillis(123))));
    assertThat(stored.embedding()).containsExactly(embedding);
    assertThat(matches.get(0).distance()).isCloseTo(0.0, within(TOLERANCE));
  }

  @Test
  void aboveTwoThousandDimensionsEmbeddingsAreKeptAtHalfPrecision() {
    int dimension = VectorSettings.MAX_FULL_PRECISION_DIMENSION + 1;
    DbProvider db = fixture().openFresh(b -> b.vectorDimension(dimension));
    String user = newUser(db, "half");
    assertThat(db.vectors().settings().halfPrecision()).isTrue();
    // {written, kept}: binary16 has 10 fraction bits, subnormals down to 2^-24, ties go to even
    float[][] cases = {
      {0.1f, 0.0999755859375f},
      {-0.333f, -0.3330078125f},
      {12345.678f, 12344f},
      {1.00146484375f, 1.001953125f},
      {1.00048828125f, 1f},
      {1e-7f, 1.1920928955078125e-7f},
      {3e-8f, 5.960464477539063e-8f},
      {2.9802322387695312e-8f, 0f},
      {1e-9f, 0f},
      {65504f, 65504f},
      {-65504f, -65504f}
    };
    float[] written = new float[dimension];
    float[] kept = new float[dimension];
    for (int i = 0; i < cases.length; i++) {
      written[i] = cases[i][0];
      kept[i] = cases[i][1];
    }

    db.vectors().upsert(List.of(Chunk.of("h1", user, "doc", 0, "half", Map.of(), written, MODEL)));

    List<ChunkMatch> matches = db.vectors().search(written, 1, SearchScope.user(user));
    assertThat(matches).hasSize(1);
    assertThat(matches.get(0).chunk().embedding()).containsExactly(kept);
    assertThat(matches.get(0).distance()).isCloseTo(0.0, within(TOLERANCE));

    float[] tooLarge = written.clone();
    tooLarge[3] = 65505f;
    assertRefused(
        () ->
            db.vectors()
                .upsert(List.of(Chunk.of("h2", user, "doc", 1, "big", Map.of(), tooLarge, MODEL))),
        "embedding");
    assertRefused(() -> db.vectors().search(tooLarge, 1, SearchScope.user(user)), "query");
    float[] vanishing = new float[dimension];
    vanishing[0] = 1e-9f;
    assertRefused(
        () ->
            db.vectors()
                .upsert(
                    List.of(Chunk.of("h3", user, "doc", 2, "tiny", Map.of(), vanishing, MODEL))),
        "embedding");
    assertThat(ids(db.vectors().search(written, 10, SearchScope.user(user)))).containsExactly("h1");
  }

  @Test
  void chunkOfAnotherDimensionIsRefusedAndNothingIsWritten() {
    String user = newUser("vec-user");
    Chunk good = chunk("good", user, "doc", 1, 0, 0, 0);

    assertRefused(
        () -> vectors().upsert(List.of(good, chunk("short", user, "doc", 1, 0, 0))), "embedding");
    assertRefused(
        () -> vectors().upsert(List.of(chunk("long", user, "doc", 1, 0, 0, 0, 0), good)),
        "embedding");

    assertThat(searchAll(user, 1, 0, 0, 0)).isEmpty();
    assertThat(vectors().settings().model()).isEmpty();
  }

  @Test
  void queryOfAnotherDimensionIsRefused() {
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("a", user, "doc", 1, 0, 0, 0)));
    SearchScope scope = SearchScope.user(user);

    assertRefused(() -> vectors().search(vec(1, 0, 0), 10, scope), "query");
    assertRefused(() -> vectors().search(vec(1, 0, 0, 0, 0), 10, scope), "query");
    assertRefused(() -> vectors().search(new float[0], 10, scope), "query");
    assertRefused(() -> vectors().search(null, 10, scope), "query");
  }

  @Test
  void nonFiniteNumbersAreRefused() {
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("a", user, "doc", 1, 0, 0, 0)));
    SearchScope scope = SearchScope.user(user);

    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      assertRefused(
          () -> vectors().upsert(List.of(chunk("b", user, "doc", 1, bad, 0, 0))), "embedding");
      assertRefused(() -> vectors().search(vec(1, 0, bad, 0), 10, scope), "query");
    }
    assertThat(ids(searchAll(user, 1, 0, 0, 0))).containsExactly("a");
  }

  /**
   * pgvector sums squares in single precision: components large enough for a distance to overflow
   * gave NaN or wrong distances there while SQLite (double precision) was right. Both refuse them:
   * at dimension d the bound is sqrt(Float.MAX_VALUE / 4d), 4.6e18 at the suite's dimension 4.
   */
  @Test
  void componentsLargeEnoughToOverflowADistanceAreRefusedOnEveryMetric() {
    float limit = (float) Math.sqrt(Float.MAX_VALUE / (4.0 * DbProviderContract.DIMENSION));
    for (DistanceMetric metric : DistanceMetric.values()) {
      DbProvider db = fixture().openFresh(b -> b.vectorMetric(metric));
      String user = newUser(db, "vec-user");
      SearchScope scope = SearchScope.user(user);
      float big = Math.nextUp(limit);

      assertThatThrownBy(
              () -> db.vectors().upsert(List.of(chunk("huge", user, "doc", big, 0, 0, 0))))
          .as("%s", metric)
          .isInstanceOfSatisfying(
              DbValidationException.class, e -> assertThat(e.field()).isEqualTo("embedding"))
          .hasMessageContaining("overflow");
      assertRefused(() -> db.vectors().search(vec(0, -1.8e19f, 0, 0), 10, scope), "query");

      // just inside the bound: stored, and every distance is a finite number on every backend
      float edge = Math.nextDown(limit);
      db.vectors()
          .upsert(
              List.of(
                  chunk("plus", user, "doc", edge, edge, edge, edge),
                  chunk("minus", user, "doc", -edge, -edge, -edge, -edge)));
      List<ChunkMatch> matches = db.vectors().search(vec(-edge, -edge, -edge, -edge), 10, scope);
      assertThat(ids(matches)).as("%s", metric).containsExactlyInAnyOrder("plus", "minus");
      assertThat(matches)
          .as("%s", metric)
          .allSatisfy(m -> assertThat(Double.isFinite(m.distance())).isTrue());
      assertThat(ids(matches).get(0)).as("%s", metric).isEqualTo("minus");
    }
  }

  @Test
  void zeroVectorIsRefusedUnderCosine() {
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("a", user, "doc", 1, 0, 0, 0)));

    assertRefused(
        () -> vectors().upsert(List.of(chunk("zero", user, "doc", 0, 0, 0, 0))), "embedding");
    assertRefused(() -> vectors().search(vec(0, 0, 0, 0), 10, SearchScope.user(user)), "query");

    assertThat(ids(searchAll(user, 1, 0, 0, 0))).containsExactly("a");
  }

  @Test
  void firstChunkDecidesTheModel() {
    String user = newUser("vec-user");
    assertThat(vectors().settings().model()).isEmpty();

    vectors().upsert(List.of(withModel(chunk("a", user, "doc", 1, 0, 0, 0), "model-1")));
    assertThat(vectors().settings().model()).contains("model-1");

    assertRefused(
        () ->
            vectors()
                .upsert(
                    List.of(
                        withModel(chunk("b", user, "doc", 1, 1, 0, 0), "model-1"),
                        withModel(chunk("c", user, "doc", 0, 1, 0, 0), "model-2"))),
        "model");
    assertRefused(
        () -> vectors().upsert(List.of(withModel(chunk("a", user, "doc", 0, 1, 0, 0), "model-2"))),
        "model");

    List<ChunkMatch> matches = searchAll(user, 1, 0, 0, 0);
    assertThat(ids(matches)).containsExactly("a");
    assertThat(matches.get(0).chunk().embedding()).containsExactly(1, 0, 0, 0);
    assertThat(vectors().settings().model()).contains("model-1");
  }

  @Test
  void firstBatchWithTwoModelsIsRefused() {
    String user = newUser("vec-user");

    assertRefused(
        () ->
            vectors()
                .upsert(
                    List.of(
                        withModel(chunk("a", user, "doc", 1, 0, 0, 0), "model-1"),
                        withModel(chunk("b", user, "doc", 0, 1, 0, 0), "model-2"))),
        "model");

    assertThat(searchAll(user, 1, 0, 0, 0)).isEmpty();
    assertThat(vectors().settings().model()).isEmpty();
  }

  @Test
  void configuredModelIsTheOnlyOneAccepted() {
    DbProvider db = fixture().openFresh(b -> b.embeddingModel("configured-model"));
    String user = newUser(db, "vec-user");
    assertThat(db.vectors().settings().model()).contains("configured-model");

    assertRefused(() -> db.vectors().upsert(List.of(chunk("a", user, "doc", 1, 0, 0, 0))), "model");
    db.vectors()
        .upsert(List.of(withModel(chunk("b", user, "doc", 1, 0, 0, 0), "configured-model")));

    assertThat(ids(db.vectors().search(vec(1, 0, 0, 0), 10, SearchScope.user(user))))
        .containsExactly("b");
  }

  @Test
  void defaultSettingsAreTheMigratedDimensionAndCosine() {
    assertThat(vectors().settings().dimension()).isEqualTo(DbProviderContract.DIMENSION);
    assertThat(vectors().settings().metric()).isEqualTo(DistanceMetric.COSINE);
    assertThat(vectors().settings().model()).isEmpty();
  }

  @Test
  void l2MetricUsesEuclideanDistance() {
    DbProvider db = fixture().openFresh(b -> b.vectorMetric(DistanceMetric.L2));
    assertThat(db.vectors().settings().metric()).isEqualTo(DistanceMetric.L2);
    assertThat(db.vectors().settings().dimension()).isEqualTo(DbProviderContract.DIMENSION);
    String user = newUser(db, "vec-user");
    db.vectors()
        .upsert(
            List.of(
                chunk("c", user, "doc", 0, 2, 0, 0),
                chunk("b", user, "doc", 3, 0, 0, 0),
                chunk("z", user, "doc", 0, 0, 0, 0),
                chunk("a", user, "doc", 1, 0, 0, 0)));
    float[] query = vec(2, 0, 0, 0);

    List<ChunkMatch> matches = db.vectors().search(query, 10, SearchScope.user(user));

    assertThat(ids(matches)).containsExactly("a", "b", "z", "c");
    assertThat(matches.stream().map(ChunkMatch::distance).toList())
        .usingElementComparator((x, y) -> Math.abs(x - y) < TOLERANCE ? 0 : Double.compare(x, y))
        .containsExactly(1.0, 1.0, 2.0, Math.sqrt(8));
  }

  @Test
  void innerProductMetricUsesNegativeDotProduct() {
    DbProvider db = fixture().openFresh(b -> b.vectorMetric(DistanceMetric.INNER_PRODUCT));
    assertThat(db.vectors().settings().metric()).isEqualTo(DistanceMetric.INNER_PRODUCT);
    String user = newUser(db, "vec-user");
    db.vectors()
        .upsert(
            List.of(
                chunk("n", user, "doc", -1, 0, 0, 0),
                chunk("c", user, "doc", 0, 2, 0, 0),
                chunk("b", user, "doc", 3, 0, 0, 0),
                chunk("a", user, "doc", 1, 0, 0, 0)));
    float[] query = vec(2, 1, 0, 0);

    List<ChunkMatch> matches = db.vectors().search(query, 10, SearchScope.user(user));

    assertThat(ids(matches)).containsExactly("b", "a", "c", "n");
    assertThat(matches.stream().map(ChunkMatch::distance).toList())
        .usingElementComparator((x, y) -> Math.abs(x - y) < TOLERANCE ? 0 : Double.compare(x, y))
        .containsExactly(-6.0, -2.0, -2.0, 2.0);
  }

  @Test
  void idHeldByAnotherUserIsAConflict() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    vectors().upsert(List.of(chunk("shared", alice, "doc", 1, 0, 0, 0)));

    assertThatThrownBy(
            () ->
                vectors()
                    .upsert(
                        List.of(
                            chunk("bobs", bob, "doc", 1, 0, 0, 0),
                            chunk("shared", bob, "doc", 0, 1, 0, 0))))
        .isInstanceOf(DbConflictException.class);

    List<ChunkMatch> forAlice = searchAll(alice, 1, 0, 0, 0);
    assertThat(ids(forAlice)).containsExactly("shared");
    assertThat(forAlice.get(0).chunk().embedding()).containsExactly(1, 0, 0, 0);
    assertThat(searchAll(bob, 1, 0, 0, 0)).isEmpty();
  }

  @Test
  void repeatedIdInOneBatchIsRefused() {
    String user = newUser("vec-user");

    assertThatThrownBy(
            () ->
                vectors()
                    .upsert(
                        List.of(
                            chunk("other", user, "doc", 1, 1, 0, 0),
                            chunk("dup", user, "doc", 1, 0, 0, 0),
                            chunk("dup", user, "doc", 0, 1, 0, 0))))
        .isInstanceOf(DbValidationException.class);

    assertThat(searchAll(user, 1, 0, 0, 0)).isEmpty();
  }

  @Test
  void unknownOwnerIsNotFoundAndNothingIsWritten() {
    String user = newUser("vec-user");

    assertThatThrownBy(
            () ->
                vectors()
                    .upsert(
                        List.of(
                            chunk("mine", user, "doc", 1, 0, 0, 0),
                            chunk("ghost", "no-such-user", "doc", 1, 0, 0, 0))))
        .isInstanceOf(DbNotFoundException.class);

    assertThat(searchAll(user, 1, 0, 0, 0)).isEmpty();
  }

  @Test
  void deleteByDocumentAndByUserReturnCounts() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    vectors()
        .upsert(
            List.of(
                chunk("a1", alice, "doc1", 1, 0, 0, 0),
                chunk("a2", alice, "doc1", 0, 1, 0, 0),
                chunk("a3", alice, "doc1", 0, 0, 1, 0),
                chunk("a4", alice, "doc2", 1, 1, 0, 0),
                chunk("a5", alice, "doc2", 1, 0, 1, 0),
                chunk("b1", bob, "doc1", 1, 0, 0, 0)));

    assertThat(vectors().deleteByDocument(alice, "doc1")).isEqualTo(3);
    assertThat(vectors().deleteByDocument(alice, "doc1")).isZero();
    assertThat(vectors().deleteByDocument(alice, "unknown")).isZero();
    assertThat(ids(searchAll(alice, 1, 0, 0, 0))).containsExactly("a4", "a5");
    assertThat(ids(searchAll(bob, 1, 0, 0, 0))).containsExactly("b1");

    assertThat(vectors().deleteByUser(alice)).isEqualTo(2);
    assertThat(vectors().deleteByUser(alice)).isZero();
    assertThat(searchAll(alice, 1, 0, 0, 0)).isEmpty();
    assertThat(ids(searchAll(bob, 1, 0, 0, 0))).containsExactly("b1");
  }

  @Test
  void deletingTheUserDeletesTheirChunks() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    vectors()
        .upsert(
            List.of(chunk("a1", alice, "doc", 1, 0, 0, 0), chunk("b1", bob, "doc", 1, 0, 0, 0)));
    assertThat(searchAll(alice, 1, 0, 0, 0)).hasSize(1);

    assertThat(fixture().db().users().delete(alice)).isTrue();

    assertThat(searchAll(alice, 1, 0, 0, 0)).isEmpty();
    assertThat(vectors().deleteByUser(alice)).isZero();
    assertThat(ids(searchAll(bob, 1, 0, 0, 0))).containsExactly("b1");
  }

  @Test
  void writesThroughAnotherProviderAreSeenBySearch() {
    assumeTrue(fixture().supports(Feature.SHARED_DATABASE), "needs a shared database");
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("c1", user, "doc1", 1, 0, 0, 0)));
    assertThat(ids(searchAll(user, 0, 1, 0, 0))).containsExactly("c1");
    VectorStore other = fixture().open(b -> {}).vectors();

    other.upsert(List.of(chunk("c2", user, "doc2", 0, 1, 0, 0)));
    assertThat(ids(searchAll(user, 0, 1, 0, 0))).containsExactly("c2", "c1");

    other.upsert(List.of(chunk("c1", user, "doc1", 0, 1, 0, 1)));
    List<ChunkMatch> afterUpdate = searchAll(user, 0, 0, 0, 1);
    assertThat(ids(afterUpdate)).containsExactly("c1", "c2");
    assertThat(afterUpdate.get(0).chunk().embedding()).containsExactly(0, 1, 0, 1);

    assertThat(other.deleteByDocument(user, "doc2")).isEqualTo(1);
    assertThat(ids(searchAll(user, 0, 1, 0, 0))).containsExactly("c1");

    assertThat(other.deleteByUser(user)).isEqualTo(1);
    assertThat(searchAll(user, 0, 1, 0, 0)).isEmpty();
  }

  @Test
  void userDeletedThroughAnotherProviderLosesTheirChunksInSearch() {
    assumeTrue(fixture().supports(Feature.SHARED_DATABASE), "needs a shared database");
    String user = newUser("vec-user");
    vectors().upsert(List.of(chunk("c1", user, "doc1", 1, 0, 0, 0)));
    assertThat(searchAll(user, 1, 0, 0, 0)).hasSize(1);

    assertThat(fixture().open(b -> {}).users().delete(user)).isTrue();

    assertThat(searchAll(user, 1, 0, 0, 0)).isEmpty();
  }

  @Test
  void largeBatchSearchIsExact() {
    String user = newUser("vec-user");
    Random random = new Random(20260101);
    List<Chunk> chunks = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      float[] e = new float[DbProviderContract.DIMENSION];
      for (int j = 0; j < e.length; j++) {
        e[j] = (float) random.nextGaussian();
      }
      Map<String, String> metadata = new HashMap<>();
      metadata.put("parity", i % 2 == 0 ? "even" : "odd");
      chunks.add(
          Chunk.of(
              String.format("chunk-%03d", i),
              user,
              "doc" + (i % 3),
              i,
              "text " + i,
              metadata,
              e,
              MODEL));
    }
    assertThat(vectors().upsert(chunks)).isEqualTo(500);

    for (int q = 0; q < 5; q++) {
      float[] query = new float[DbProviderContract.DIMENSION];
      for (int j = 0; j < query.length; j++) {
        query[j] = (float) random.nextGaussian();
      }
      List<ChunkMatch> matches = vectors().search(query, 10, SearchScope.user(user));
      assertThat(ids(matches))
          .containsExactlyElementsOf(nearest(chunks, query, DistanceMetric.COSINE, 10));
      assertDistances(matches, DistanceMetric.COSINE, query);

      List<Chunk> doc1Even =
          chunks.stream()
              .filter(
                  c -> c.documentId().equals("doc1") && c.metadata().get("parity").equals("even"))
              .toList();
      SearchScope filtered =
          SearchScope.user(user).documents("doc1").withMetadata("parity", "even");
      assertThat(ids(vectors().search(query, 10, filtered)))
          .containsExactlyElementsOf(nearest(doc1Even, query, DistanceMetric.COSINE, 10));
    }
  }
}
