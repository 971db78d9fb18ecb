package dev.polydb.bench;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;

import com.zaxxer.hikari.HikariDataSource;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.filter.Filter;
import dev.langchain4j.store.embedding.pgvector.PgVectorEmbeddingStore;
import dev.polydb.api.SearchScope;
import dev.polydb.cli.PolyDb;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Vector search on Postgres through pgvector's HNSW index (cosine): recall@10 and latency of the
 * library's {@code vectors().search} beside (a) the same query by hand over JDBC ({@link
 * Jdbc#searchChunks}) and (b) the peer, LangChain4j's {@code PgVectorEmbeddingStore}; and the rows
 * per second each writes in batches of {@value Fixture#BATCH}: a first load (the library by its
 * bulk path, {@code polydb vector-index drop}, the load, {@code polydb vector-index build}, and the
 * time of each part), then rows added to the indexed tables. A plain program rather than JMH:
 * recall needs every answer, and the loading takes minutes. It prints one JSON object per line
 * ({@code "kind": "search"}, {@code "ingest"} or {@code "firstLoad"}), which {@code db-bench/run
 * --vectors} turns into BENCHMARKS.md.
 *
 * <p>One fresh schema on {@code TEST_DATABASE_URL} ({@link Fixture}) holds both stores: the
 * library's {@code chunks} table with the HNSW index of its migration, and the peer's own table, to
 * which this program adds the same HNSW index before loading (the peer's own index option is
 * IVFFlat). The rows are {@link ClusteredVectors}, split between three owners holding 1%, 10% and
 * the remaining 89%; the last stands for a search over everything (an owner of every row would need
 * a second load of the same size). The library and the JDBC query filter on {@code user_id}; the
 * peer keeps the owner in its metadata and filters on it. Both tables are analyzed after the load,
 * as autovacuum would, so that the planner's choices do not depend on when it runs.
 *
 * <p>For each owner the program computes the exact 10 nearest in double precision, then runs each
 * query through the three in turn (in a fresh random order each time), after {@code --warmup}
 * untimed queries: enough for the JIT to compile each one's code, as it has in an application that
 * has been up a while. The library and the JDBC query use the library's {@code hnsw.ef_search} (100
 * by default); the peer sets nothing, so it runs with the server's settings, as its users get it.
 * Last, each writes {@code --ingest} more rows for a fourth owner into its indexed table. Each of
 * the three has a pool of its own, of the library's size: one thread takes the same connection
 * every time, so each query runs in its own server process and every one follows another's. (With
 * the JDBC query sharing a process with another variant, the library's ratio to it measured 1.13 to
 * 1.29; with a process of its own, 1.02 to 1.06, 2026-12-05.)
 *
 * <p>Options, each with a number: {@code --rows} (100000), {@code --dimension} (384), {@code
 * --queries} (200), {@code --warmup} (500), {@code --ingest} (20000).
 */
public final class PostgresVectorRecall {
  private static final int K = 10;
  private static final long SEED = 20_240_602;
  private static final String PEER_TABLE = "peer_embeddings";
  private static final String OWNER_KEY = "user_id";

  private final Map<String, Integer> options;
  private final Fixture fixture;
  private final ClusteredVectors source;
  private final Jdbc jdbc;
  private final PgVectorEmbeddingStore peer;
  private final DataSource peerPool;

  private PostgresVectorRecall(Map<String, Integer> options, Fixture fixture, DataSource peerPool)
      throws SQLException {
    this.options = options;
    this.fixture = fixture;
    this.peerPool = peerPool;
    this.source = new ClusteredVectors(options.get("dimension"), SEED);
    this.jdbc = new Jdbc(fixture.pool, true);
    this.peer =
        PgVectorEmbeddingStore.datasourceBuilder()
            .datasource(peerPool)
            .table(PEER_TABLE)
            .dimension(options.get("dimension"))
            .createTable(true)
            .useIndex(false)
            .build();
    execute(
        peerPool, "CREATE INDEX ON " + PEER_TABLE + " USING hnsw (embedding vector_cosine_ops)");
  }

  /**
   * Runs the measurements and prints their JSON lines.
   *
   * @param args {@code --name number} pairs
   * @throws SQLException when the database fails
   */
  public static void main(String[] args) throws SQLException {
    Map<String, String> given =
        Options.parse(
            args,
            Map.of(
                "rows", "100000",
                "dimension", "384",
                "queries", "200",
                "warmup", "500",
                "ingest", "20000"));
    Map<String, Integer> options = new LinkedHashMap<>();
    given.keySet().forEach(name -> options.put(name, Options.number(given, name)));
    try (Fixture fixture = Fixture.open("postgres", options.get("dimension"));
        HikariDataSource peerPool = fixture.newPool("bench-peer")) {
      new PostgresVectorRecall(options, fixture, peerPool).run();
    }
  }

  private void run() throws SQLException {
    int rows = options.get("rows");
    int more = options.get("ingest");
    // the searched rows, then those of the last ingest: chunk and peer ids are row numbers
    float[] vectors = source.rows(rows + more);
    int[] bounds = {0, rows / 100, rows / 100 + rows / 10, rows};

    // the library's first load takes its documented bulk path: the index dropped, the rows
    // loaded, the index built once; the peer adds rows to its indexed table, its only way
    long start = System.nanoTime();
    polydb("vector-index", "drop");
    for (int o = 0; o < 3; o++) {
      fixture.upsertChunks(fixture.users.get(o).id(), vectors, bounds[o], bounds[o + 1]);
    }
    long loaded = System.nanoTime();
    polydb("vector-index", "build");
    long library = System.nanoTime() - start;
    long peerNanos = 0;
    for (int o = 0; o < 3; o++) {
      peerNanos += addToPeer(fixture.users.get(o).id(), vectors, bounds[o], bounds[o + 1]);
    }
    printIngest("empty", rows, library, peerNanos);
    // where the first load's time goes: the rows, then the index's build
    System.out.printf(
        Locale.ROOT,
        "{\"kind\": \"firstLoad\", \"rows\": %d, \"loadSeconds\": %.2f, \"buildSeconds\": %.2f}%n",
        rows,
        (loaded - start) / 1e9,
        (start + library - loaded) / 1e9);
    execute(fixture.pool, "ANALYZE chunks");
    execute(peerPool, "ANALYZE " + PEER_TABLE);

    for (int o = 0; o < 3; o++) {
      search(fixture.users.get(o).id(), vectors, bounds[o], bounds[o + 1]);
    }

    String owner = fixture.users.get(3).id();
    long libraryMore = fixture.upsertChunks(owner, vectors, rows, rows + more);
    long peerMore = addToPeer(owner, vectors, rows, rows + more);
    printIngest("indexed", more, libraryMore, peerMore);
  }

  /** Recall and latency of the three over one owner's rows {@code [from, to)}. */
  private void search(String owner, float[] vectors, int from, int to) throws SQLException {
    int dimension = source.dimension;
    int warmup = options.get("warmup");
    int queries = options.get("queries");
    SearchScope scope = SearchScope.user(owner);
    Filter peerScope = metadataKey(OWNER_KEY).isEqualTo(owner);
    int efSearch = fixture.config.vectorEfSearch();

    String[] variants = {"library", "jdbc", "peer"};
    long[][] nanos = new long[3][queries];
    double[] recall = new double[3];
    List<Integer> order = new ArrayList<>(List.of(0, 1, 2));
    Random shuffle = new Random(SEED);
    for (int q = -warmup; q < queries; q++) {
      float[] query = source.next();
      int[] exact = q < 0 ? null : ClusteredVectors.nearest(vectors, dimension, from, to, query, K);
      // a fresh order per query: each variant follows each other one as often, so none always
      // runs after the peer's scan of its table
      Collections.shuffle(order, shuffle);
      for (int v : order) {
        long start = System.nanoTime();
        int[] found =
            switch (v) {
              case 0 ->
                  fixture.db.vectors().search(query, K, scope).stream()
                      .mapToInt(m -> Fixture.row(m.chunk().id()))
                      .toArray();
              case 1 ->
                  jdbc.searchChunks(query, K, owner, efSearch).stream()
                      .mapToInt(m -> Fixture.row(m.chunk().id()))
                      .toArray();
              default ->
                  peer
                      .search(
                          EmbeddingSearchRequest.builder()
                              .queryEmbedding(Embedding.from(query))
                              .maxResults(K)
                              .filter(peerScope)
                              .build())
                      .matches()
                      .stream()
                      .mapToInt(m -> peerRow(m.embeddingId()))
                      .toArray();
            };
        long elapsed = System.nanoTime() - start;
        if (exact != null) {
          nanos[v][q] = elapsed;
          recall[v] += (double) Arrays.stream(found).filter(r -> contains(exact, r)).count() / K;
        }
      }
    }
    for (int v = 0; v < 3; v++) {
      long[] sorted = nanos[v];
      Arrays.sort(sorted);
      System.out.printf(
          Locale.ROOT,
          "{\"kind\": \"search\", \"variant\": \"%s\", \"owner\": \"%.0f%%\", \"ownerRows\": %d,"
              + " \"rows\": %d, \"dimension\": %d, \"queries\": %d, \"recall\": %.4f,"
              + " \"p50Us\": %.1f, \"p95Us\": %.1f}%n",
          variants[v],
          100.0 * (to - from) / options.get("rows"),
          to - from,
          options.get("rows"),
          dimension,
          queries,
          recall[v] / queries,
          percentile(sorted, 0.50) / 1e3,
          percentile(sorted, 0.95) / 1e3);
    }
  }

  /** Adds rows {@code [from, to)} of {@code owner} to the peer, in batches; returns nanoseconds. */
  private long addToPeer(String owner, float[] vectors, int from, int to) {
    int dimension = source.dimension;
    long start = System.nanoTime();
    for (int batch = from; batch < to; batch += Fixture.BATCH) {
      List<String> ids = new ArrayList<>();
      List<Embedding> embeddings = new ArrayList<>();
      List<TextSegment> segments = new ArrayList<>();
      for (int row = batch; row < Math.min(batch + Fixture.BATCH, to); row++) {
        ids.add(new UUID(0, row).toString());
        embeddings.add(
            Embedding.from(Arrays.copyOfRange(vectors, row * dimension, (row + 1) * dimension)));
        segments.add(TextSegment.from("chunk " + row, Metadata.from(OWNER_KEY, owner)));
      }
      peer.addAll(ids, embeddings, segments);
    }
    return System.nanoTime() - start;
  }

  private static void printIngest(String into, int rows, long libraryNanos, long peerNanos) {
    String line =
        "{\"kind\": \"ingest\", \"variant\": \"%s\", \"into\": \"%s\", \"rows\": %d,"
            + " \"rowsPerSecond\": %.1f}%n";
    System.out.printf(Locale.ROOT, line, "library", into, rows, rows / (libraryNanos / 1e9));
    System.out.printf(Locale.ROOT, line, "peer", into, rows, rows / (peerNanos / 1e9));
  }

  /** Runs the operations tool on the fixture's database, in this process. */
  private void polydb(String... args) {
    String[] line = Arrays.copyOf(args, args.length + 2);
    line[args.length] = "--url";
    line[args.length + 1] = fixture.config.url();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
    int exit = PolyDb.run(line, Map.of(), print, print);
    if (exit != 0) {
      throw new IllegalStateException(
          "polydb " + String.join(" ", args) + " exited " + exit + ": " + out);
    }
  }

  private static int peerRow(String id) {
    return (int) UUID.fromString(id).getLeastSignificantBits();
  }

  private static boolean contains(int[] rows, int row) {
    for (int r : rows) {
      if (r == row) {
        return true;
      }
    }
    return false;
  }

  /** The nearest-rank percentile of sorted values. */
  private static long percentile(long[] sorted, double p) {
    return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
  }

  private static void execute(DataSource pool, String sql) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
