package dev.polydb.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.SearchScope;
import dev.polydb.api.UserProfile;
import dev.polydb.jooq.JooqProvider;
import dev.polydb.sqlite.internal.Kernel;
import dev.polydb.sqlite.internal.ScalarKernel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The in-memory scan: its single-precision kernels, its exact answer, and a copy that this
 * process's writes change in place while other connections' writes are still seen.
 */
class VectorScanTest {
  private static final String MODEL = "test-model";

  @TempDir Path dir;

  @Test
  void theTestsRunTheVectorApiKernelAndItAgreesWithTheScalarOne() {
    // surefire adds the incubator module (db-sqlite/pom.xml): this is the kernel users with it get
    Kernel best = Kernel.best();
    assertThat(best.getClass().getSimpleName()).isEqualTo("VectorApiKernel");
    Kernel scalar = new ScalarKernel();
    Random random = new Random(7);
    for (int dimension : new int[] {1, 3, 8, 15, 16, 33, 384, 1536}) {
      float[] q = gaussian(random, dimension);
      float[] rows = new float[3 * dimension];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = (float) random.nextGaussian();
      }
      for (int offset = 0; offset < rows.length; offset += dimension) {
        double dot = 0;
        double magnitudes = 0;
        double squared = 0;
        for (int i = 0; i < dimension; i++) {
          dot += (double) q[i] * rows[offset + i];
          magnitudes += Math.abs((double) q[i] * rows[offset + i]);
          double d = (double) q[i] - rows[offset + i];
          squared += d * d;
        }
        double bound = (dimension + 2) * 0x1p-24;
        for (Kernel kernel : List.of(best, scalar)) {
          assertThat(Math.abs(kernel.dot(q, rows, offset) - dot))
              .as("%s dot at %d", kernel, dimension)
              .isLessThanOrEqualTo(bound * magnitudes);
          assertThat(Math.abs(kernel.squaredDistance(q, rows, offset) - squared))
              .as("%s squared distance at %d", kernel, dimension)
              .isLessThanOrEqualTo(2 * bound * squared);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DistanceMetric.class)
  void theScanFindsWhatAnExactScanInDoublePrecisionFinds(DistanceMetric metric) {
    int dimension = 24;
    try (Opened db = open(metric, dimension)) {
      String owner = db.provider.users().create("google", "scan", UserProfile.EMPTY).id();
      Random random = new Random(11);
      List<Chunk> chunks = new ArrayList<>();
      float[][] vectors = new float[2000][];
      for (int i = 0; i < vectors.length; i++) {
        // every fifth embedding repeats an earlier one: ties that only the id can break
        vectors[i] = i % 5 == 4 ? vectors[i / 5].clone() : gaussian(random, dimension);
        String document = "doc-" + (i % 7);
        chunks.add(
            Chunk.of(
                String.format("c-%04d", i),
                owner,
                document,
                i,
                "text",
                Map.of("part", Integer.toString(i % 3)),
                vectors[i],
                MODEL));
      }
      db.provider.vectors().upsert(chunks);
      for (int t = 0; t < 20; t++) {
        float[] query = t % 4 == 0 ? vectors[t].clone() : gaussian(random, dimension);
        for (SearchScope scope :
            List.of(
                SearchScope.user(owner),
                SearchScope.user(owner).documents("doc-1", "doc-3"),
                new SearchScope(owner, java.util.Set.of(), Map.of("part", "2")))) {
          List<ChunkMatch> found = db.provider.vectors().search(query, 25, scope);
          List<String> expected = exact(chunks, query, 25, scope, metric);
          assertThat(found.stream().map(m -> m.chunk().id()).toList())
              .as("query %d, %s", t, scope)
              .isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void vectorsOfSubnormalNumbersAreFoundExactlyUnderCosineDistance() {
    try (Opened db = open(DistanceMetric.COSINE, 4)) {
      String owner = db.provider.users().create("google", "tiny", UserProfile.EMPTY).id();
      float tiny = 1e-40f; // a subnormal float: products with it underflow single precision
      List<Chunk> chunks =
          List.of(
              chunk("tiny-along", owner, "d", new float[] {tiny, tiny, 0, 0}),
              chunk("tiny-across", owner, "d", new float[] {tiny, -tiny, 0, 0}),
              // every other row is farther than the tiny ones, whose distances are 0 and 1
              chunk("away-1", owner, "d", new float[] {-1, 0, 0, 0}),
              chunk("away-2", owner, "d", new float[] {-1, -0.9f, 0, 0}),
              chunk("away-3", owner, "d", new float[] {-1, -1, 0, 0.1f}));
      db.provider.vectors().upsert(chunks);
      SearchScope scope = SearchScope.user(owner);
      for (float[] query :
          List.of(
              new float[] {1, 1, 0, 0},
              new float[] {tiny, tiny, 0, 0},
              new float[] {1, -1, 0, 0})) {
        List<ChunkMatch> found = db.provider.vectors().search(query, 3, scope);
        assertThat(ids(found))
            .as("query %s", Arrays.toString(query))
            .isEqualTo(exact(chunks, query, 3, scope, DistanceMetric.COSINE));
        assertThat(found).allSatisfy(m -> assertThat(m.distance()).isFinite());
      }
      // the copy changed in place: a tiny row removed, another added, still exact
      db.provider.vectors().deleteByDocument(owner, "d");
      db.provider
          .vectors()
          .upsert(
              List.of(
                  chunk("tiny-again", owner, "e", new float[] {0, 0, tiny, 0}),
                  chunk("plain", owner, "e", new float[] {1, 0, 0, 0})));
      assertThat(ids(db.provider.vectors().search(new float[] {0, 0, 1, 0}, 1, scope)))
          .containsExactly("tiny-again");
    }
  }

  @Test
  void thisProcesssWritesChangeTheCopyInPlace() {
    try (Opened db = open(DistanceMetric.COSINE, 4)) {
      String owner = db.provider.users().create("google", "owner", UserProfile.EMPTY).id();
      var store = db.provider.vectors();
      store.upsert(
          List.of(
              chunk("a", owner, "doc-1", new float[] {1, 0, 0, 0}),
              chunk("b", owner, "doc-1", new float[] {0, 1, 0, 0}),
              chunk("c", owner, "doc-2", new float[] {0, 0, 1, 0})));
      float[] query = {0, 0, 0, 1};
      assertThat(ids(store.search(query, 10, SearchScope.user(owner)))).hasSize(3);
      long loads = db.index().loads();

      store.upsert(List.of(chunk("d", owner, "doc-3", new float[] {0, 0, 0.1f, 1})));
      assertThat(ids(store.search(query, 1, SearchScope.user(owner)))).containsExactly("d");
      store.upsert(List.of(chunk("a", owner, "doc-1", new float[] {0, 0, 0, 1})));
      assertThat(ids(store.search(query, 1, SearchScope.user(owner)))).containsExactly("a");
      store.deleteByDocument(owner, "doc-1");
      assertThat(ids(store.search(query, 10, SearchScope.user(owner)))).containsExactly("d", "c");
      assertThat(db.index().loads()).as("loads after in-place changes").isEqualTo(loads);

      store.deleteByUser(owner);
      assertThat(store.search(query, 10, SearchScope.user(owner))).isEmpty();
      assertThat(db.index().loads()).as("loads after deleting everything").isEqualTo(loads);
    }
  }

  @Test
  void anotherConnectionsWriteReloadsOnlyItsOwner() {
    try (Opened db = open(DistanceMetric.L2, 2);
        Opened other = reopen(db)) {
      String a = db.provider.users().create("google", "a", UserProfile.EMPTY).id();
      String b = db.provider.users().create("google", "b", UserProfile.EMPTY).id();
      db.provider.vectors().upsert(List.of(chunk("a1", a, "d", new float[] {1, 1})));
      db.provider.vectors().upsert(List.of(chunk("b1", b, "d", new float[] {1, 1})));
      float[] query = {0, 0};
      db.provider.vectors().search(query, 10, SearchScope.user(a));
      db.provider.vectors().search(query, 10, SearchScope.user(b));
      long loads = db.index().loads();

      // written by another provider: for this one, as another process's write
      other.provider.vectors().upsert(List.of(chunk("b2", b, "d", new float[] {0, 0})));
      assertThat(ids(db.provider.vectors().search(query, 10, SearchScope.user(a))))
          .containsExactly("a1");
      assertThat(db.index().loads()).as("owner a is not reloaded").isEqualTo(loads);
      assertThat(ids(db.provider.vectors().search(query, 10, SearchScope.user(b))))
          .containsExactly("b2", "b1");
      assertThat(db.index().loads()).as("owner b is reloaded").isEqualTo(loads + 1);
    }
  }

  @Test
  void aChunkAnotherConnectionRewroteIsFoundWholeAsItIsNow() {
    try (Opened db = open(DistanceMetric.COSINE, 2);
        Opened other = reopen(db)) {
      String owner = db.provider.users().create("google", "o", UserProfile.EMPTY).id();
      db.provider
          .vectors()
          .upsert(
              List.of(
                  Chunk.of(
                      "c", owner, "d1", 0, "before", Map.of("v", "1"), new float[] {1, 0}, MODEL),
                  chunk("far", owner, "d", new float[] {-1, 0})));
      float[] query = {1, 0.1f};
      assertThat(ids(db.provider.vectors().search(query, 1, SearchScope.user(owner))))
          .containsExactly("c");

      // the copy this provider holds has c's old embedding, metadata and document
      Chunk now =
          Chunk.of("c", owner, "d2", 3, "after", Map.of("v", "2"), new float[] {1, 0.1f}, MODEL);
      other.provider.vectors().upsert(List.of(now));
      List<ChunkMatch> found = db.provider.vectors().search(query, 1, SearchScope.user(owner));

      assertThat(found).hasSize(1);
      Chunk c = found.get(0).chunk();
      assertThat(c.text()).isEqualTo("after");
      assertThat(c.documentId()).isEqualTo("d2");
      assertThat(c.chunkIndex()).isEqualTo(3);
      assertThat(c.metadata()).isEqualTo(Map.of("v", "2"));
      assertThat(c.embedding()).containsExactly(now.embedding());
      assertThat(c.createdAt()).isPresent();
      assertThat(found.get(0).distance()).isCloseTo(0.0, offset(1e-6));
    }
  }

  @Test
  void aSearchWhoseOwnerIsWrittenDuringEveryScanReadsItsChunksWholeAfterThreeScans() {
    float[] near = {1, 0};
    AtomicInteger scans = new AtomicInteger();
    AtomicReference<Runnable> atEachScan = new AtomicReference<>(() -> {});
    Kernel scalar = new ScalarKernel();
    // each owner here holds three chunks: every third dot product starts a scan
    AtomicInteger dots = new AtomicInteger();
    Kernel writing =
        new Kernel() {
          @Override
          public float dot(float[] q, float[] rows, int offset) {
            if (dots.getAndIncrement() % 3 == 0) {
              scans.incrementAndGet();
              atEachScan.get().run();
            }
            return scalar.dot(q, rows, offset);
          }

          @Override
          public float squaredDistance(float[] q, float[] rows, int offset) {
            return scalar.squaredDistance(q, rows, offset);
          }
        };
    DbConfig config =
        DbConfig.builder()
            .url("sqlite:" + dir.resolve("vectors.db"))
            .vectorDimension(2)
            .embeddingModel(MODEL)
            .build();
    SqliteBackend backend =
        new SqliteBackend(
            DatabaseUrl.parse(config.url()),
            config,
            new SqliteVectorIndex(writing, Long.MAX_VALUE));
    try (Opened db = new Opened(JooqProvider.open(backend, config), backend, config);
        Opened other = reopen(db)) {
      String owner = db.provider.users().create("google", "busy", UserProfile.EMPTY).id();
      db.provider
          .vectors()
          .upsert(
              List.of(
                  chunk("a", owner, "da", near),
                  chunk("b", owner, "db", new float[] {1, 0.5f}),
                  chunk("c", owner, "dc", new float[] {0, 1})));
      SearchScope scope = SearchScope.user(owner);
      assertThat(ids(db.provider.vectors().search(near, 3, scope))).containsExactly("a", "b", "c");
      long loads = db.index().loads();
      scans.set(0);

      // another connection writes the owner as each scan starts, five times at most: a rewrite of
      // a's text each time, and at the third, b deleted too
      AtomicInteger writes = new AtomicInteger();
      atEachScan.set(
          () -> {
            int n = writes.incrementAndGet();
            if (n > 5) {
              return;
            }
            other
                .provider
                .vectors()
                .upsert(List.of(Chunk.of("a", owner, "da", 0, "v" + n, Map.of(), near, MODEL)));
            if (n == 3) {
              other.provider.vectors().deleteByDocument(owner, "db");
            }
          });
      List<ChunkMatch> found = db.provider.vectors().search(near, 3, scope);

      assertThat(scans.get()).as("scans").isEqualTo(3);
      assertThat(db.index().loads()).as("loads").isEqualTo(loads + 2);
      // read whole from the file after the third scan: as the file holds them now
      assertThat(ids(found)).containsExactly("a", "c");
      assertThat(found.get(0).chunk().text()).isEqualTo("v3");
    }
  }

  @Test
  void searchesGoOnReadingTheirChunksAsThePoolReplacesItsConnections() {
    try (Opened db = open(DistanceMetric.COSINE, 2)) {
      String owner = db.provider.users().create("google", "pool", UserProfile.EMPTY).id();
      db.provider
          .vectors()
          .upsert(
              List.of(
                  chunk("near", owner, "d", new float[] {1, 0}),
                  chunk("far", owner, "d", new float[] {-1, 0})));
      HikariPoolMXBean pool = ((HikariDataSource) db.backend.dataSource()).getHikariPoolMXBean();
      for (int round = 0; round < 20; round++) {
        List<ChunkMatch> found =
            db.provider.vectors().search(new float[] {1, 0.1f}, 2, SearchScope.user(owner));
        assertThat(ids(found)).as("round %d", round).containsExactly("near", "far");
        assertThat(found.get(0).chunk().text()).isEqualTo("text");
        pool.softEvictConnections(); // closes the idle connections, with their statements
      }
      // each round's search met a new connection; those closed are dropped as new ones come
      assertThat(db.index().preparedConnections()).isLessThan(5);
    }
  }

  @Test
  void aWriteInACallersTransactionThatRollsBackLeavesTheResultsAlone() {
    try (Opened db = open(DistanceMetric.COSINE, 2)) {
      String owner = db.provider.users().create("google", "tx", UserProfile.EMPTY).id();
      db.provider.vectors().upsert(List.of(chunk("x", owner, "d", new float[] {1, 0})));
      float[] query = {0, 1};
      assertThat(ids(db.provider.vectors().search(query, 10, SearchScope.user(owner))))
          .containsExactly("x");
      try {
        db.provider.inTransaction(
            tx -> {
              tx.vectors().upsert(List.of(chunk("y", owner, "d", new float[] {0, 1})));
              assertThat(ids(tx.vectors().search(query, 1, SearchScope.user(owner))))
                  .containsExactly("y");
              throw new IllegalStateException("roll back");
            });
      } catch (IllegalStateException expected) {
        // rolled back
      }
      assertThat(ids(db.provider.vectors().search(query, 10, SearchScope.user(owner))))
          .containsExactly("x");
    }
  }

  /** A provider with its backend's index at hand. */
  private record Opened(DbProvider provider, SqliteBackend backend, DbConfig config)
      implements AutoCloseable {
    SqliteVectorIndex index() {
      return (SqliteVectorIndex) backend.vectorIndex();
    }

    @Override
    public void close() {
      provider.close();
    }
  }

  private Opened open(DistanceMetric metric, int dimension) {
    DbConfig config =
        DbConfig.builder()
            .url("sqlite:" + dir.resolve("vectors.db"))
            .vectorDimension(dimension)
            .vectorMetric(metric)
            .embeddingModel(MODEL)
            .build();
    return open(config);
  }

  private static Opened reopen(Opened db) {
    return open(db.config());
  }

  private static Opened open(DbConfig config) {
    SqliteBackend backend = new SqliteBackend(DatabaseUrl.parse(config.url()), config);
    DbProvider provider = JooqProvider.open(backend, config);
    return new Opened(provider, backend, config);
  }

  private static Chunk chunk(String id, String owner, String document, float[] embedding) {
    return Chunk.of(id, owner, document, 0, "text", Map.of(), embedding, MODEL);
  }

  private static List<String> ids(List<ChunkMatch> matches) {
    return matches.stream().map(m -> m.chunk().id()).toList();
  }

  private static float[] gaussian(Random random, int dimension) {
    float[] v = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  /** The k nearest in the scope by a plain scan in double precision, ties by id. */
  private static List<String> exact(
      List<Chunk> chunks, float[] q, int k, SearchScope scope, DistanceMetric metric) {
    record Scored(String id, double distance) {}
    List<Scored> scored = new ArrayList<>();
    for (Chunk c : chunks) {
      if (!scope.documentIds().isEmpty() && !scope.documentIds().contains(c.documentId())) {
        continue;
      }
      if (!c.metadata().entrySet().containsAll(scope.metadataEquals().entrySet())) {
        continue;
      }
      float[] v = c.embedding();
      double dot = 0;
      double qq = 0;
      double vv = 0;
      double squared = 0;
      for (int i = 0; i < q.length; i++) {
        dot += (double) q[i] * v[i];
        qq += (double) q[i] * q[i];
        vv += (double) v[i] * v[i];
        squared += ((double) q[i] - v[i]) * ((double) q[i] - v[i]);
      }
      double distance =
          switch (metric) {
            case COSINE -> 1 - dot / (Math.sqrt(qq) * Math.sqrt(vv));
            case L2 -> Math.sqrt(squared);
            case INNER_PRODUCT -> -dot;
          };
      scored.add(new Scored(c.id(), distance));
    }
    scored.sort(Comparator.comparingDouble(Scored::distance).thenComparing(Scored::id));
    return scored.stream().limit(k).map(Scored::id).toList();
  }
}
