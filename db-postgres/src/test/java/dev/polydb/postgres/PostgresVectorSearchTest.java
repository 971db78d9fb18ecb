package dev.polydb.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.SearchScope;
import dev.polydb.api.UserProfile;
import dev.polydb.api.VectorSettings;
import dev.polydb.jooq.JooqProvider;
import dev.polydb.testkit.FreshDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The choice between the approximate index and an exact scan, from the owners' row counts, and what
 * each branch returns and how the server runs it.
 */
class PostgresVectorSearchTest {
  private static final String MODEL = "test-model";
  private static final int DIMENSION = 8;
  private static final int WIDE_ROWS = 3_000;
  private static final int NARROW_ROWS = 40;

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @Test
  void aNarrowOwnerIsRankedExactlyAndAWideOneThroughTheIndex() throws SQLException {
    DbConfig config =
        DbConfig.builder()
            .url(databases.newUrl())
            .vectorDimension(DIMENSION)
            .vectorMetric(DistanceMetric.COSINE)
            .embeddingModel(MODEL)
            .build();
    PostgresBackend backend = new PostgresBackend(DatabaseUrl.parse(config.url()), config);
    try (DbProvider db = JooqProvider.open(backend, config)) {
      PostgresVectorIndex index = (PostgresVectorIndex) backend.vectorIndex();
      Random random = new Random(5);
      String wide = db.users().create("google", "wide", UserProfile.EMPTY).id();
      String narrow = db.users().create("google", "narrow", UserProfile.EMPTY).id();
      List<Chunk> wideChunks = chunks(wide, WIDE_ROWS, random);
      List<Chunk> narrowChunks = chunks(narrow, NARROW_ROWS, random);
      for (int i = 0; i < WIDE_ROWS; i += 1_000) {
        db.vectors().upsert(wideChunks.subList(i, i + 1_000));
      }
      db.vectors().upsert(narrowChunks);

      VectorSettings settings = db.vectors().settings();
      try (Connection c = backend.dataSource().getConnection()) {
        // the planner's own choice rests on statistics, as autovacuum keeps them
        try (var st = c.createStatement()) {
          st.execute("ANALYZE chunks");
        }
        assertThat(index.plan(c, narrow)).isEqualTo(PostgresVectorIndex.Plan.EXACT);
        assertThat(index.plan(c, wide)).isEqualTo(PostgresVectorIndex.Plan.INDEX);
        float[] q = gaussian(random);
        assertThat(explain(c, PostgresVectorIndex.Plan.INDEX, settings, q, wide))
            .contains("chunks_embedding_idx");
        assertThat(explain(c, PostgresVectorIndex.Plan.EXACT, settings, q, narrow))
            .doesNotContain("chunks_embedding_idx")
            .contains("chunks_user_id_document_id_idx");
      }

      int found = 0;
      for (int t = 0; t < 10; t++) {
        float[] q = gaussian(random);
        List<ChunkMatch> exact = db.vectors().search(q, 10, SearchScope.user(narrow));
        assertThat(ids(exact)).as("narrow owner, query %d", t).isEqualTo(nearest(narrowChunks, q));
        List<ChunkMatch> approximate = db.vectors().search(q, 10, SearchScope.user(wide));
        assertThat(approximate).hasSize(10).allMatch(m -> m.chunk().userId().equals(wide));
        assertThat(approximate)
            .isSortedAccordingTo(Comparator.comparingDouble(ChunkMatch::distance));
        List<String> truth = nearest(wideChunks, q);
        found += (int) ids(approximate).stream().filter(truth::contains).count();
      }
      assertThat(found).as("recall@10 of the index over 10 queries, of 100").isGreaterThan(90);
    }
  }

  /** The server's plan for the query a search runs, with the search's values bound. */
  private static String explain(
      Connection c, PostgresVectorIndex.Plan plan, VectorSettings settings, float[] q, String owner)
      throws SQLException {
    String sql = PostgresVectorIndex.query(plan, settings, SearchScope.user(owner));
    try (PreparedStatement s = c.prepareStatement("EXPLAIN " + sql)) {
      s.setObject(1, new com.pgvector.PGvector(q));
      s.setString(2, owner);
      s.setInt(3, 10);
      if (plan == PostgresVectorIndex.Plan.INDEX) {
        s.setInt(4, 10);
      }
      StringBuilder text = new StringBuilder();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          text.append(rs.getString(1)).append('\n');
        }
      }
      return text.toString();
    }
  }

  private static List<Chunk> chunks(String owner, int n, Random random) {
    List<Chunk> chunks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      chunks.add(
          Chunk.of(owner + "-" + i, owner, "doc", i, "text", Map.of(), gaussian(random), MODEL));
    }
    return chunks;
  }

  /** The ten nearest by cosine distance in double precision, ties by id. */
  private static List<String> nearest(List<Chunk> chunks, float[] q) {
    record Scored(String id, double distance) {}
    return chunks.stream()
        .map(c -> new Scored(c.id(), cosineDistance(q, c.embedding())))
        .sorted(Comparator.comparingDouble(Scored::distance).thenComparing(Scored::id))
        .limit(10)
        .map(Scored::id)
        .toList();
  }

  private static double cosineDistance(float[] a, float[] b) {
    double dot = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
    return 1 - dot / (Math.sqrt(aa) * Math.sqrt(bb));
  }

  private static List<String> ids(List<ChunkMatch> matches) {
    return matches.stream().map(m -> m.chunk().id()).toList();
  }

  private static float[] gaussian(Random random) {
    float[] v = new float[DIMENSION];
    for (int i = 0; i < DIMENSION; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
