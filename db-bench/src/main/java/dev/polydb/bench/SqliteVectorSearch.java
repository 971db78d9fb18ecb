package dev.polydb.bench;

import dev.polydb.api.ChunkMatch;
import dev.polydb.api.SearchScope;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
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
 * Exact vector search on SQLite, which scans each owner's embeddings in memory, beside the floor of
 * such a scan ({@link Floor}) over the same vectors: {@code library} is {@code vectors().search}
 * for the k = 10 nearest by cosine distance among one owner's {@code rows} chunks; {@code
 * floorVectorApi} and {@code floorScalar} scan one flat {@code float[]} of the same vectors. The
 * library picks its Vector API kernel when the JVM has the {@code jdk.incubator.vector} module, so
 * {@code db-bench/run} runs this class twice: with the module (library beside {@code
 * floorVectorApi}, which fails without it) and without (library beside {@code floorScalar}).
 *
 * <p>Each library fork also prints, once, a line {@value #LOAD_LINE} followed by a JSON object: how
 * long the first search took (it loads the owner's copy from the file) and the heap that copy holds
 * per vector.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// a fixed heap, large enough for the floor's array and the library's copy (a quarter of the heap)
@Fork(value = 1, jvmArgs = "-Xmx4g")
public class SqliteVectorSearch {
  /** What precedes the load measurement's JSON on its line of output. */
  static final String LOAD_LINE = "sqlite-vector-load:";

  static final int K = 10;
  static final int QUERIES = 64;
  static final long SEED = 20_240_601;

  /** The embedding dimension. */
  @Param({"384", "1536"})
  public int dimension;

  /** How many chunks the one owner holds. */
  @Param({"10000", "100000"})
  public int rows;

  private float[] vectors;
  private final float[][] queries = new float[QUERIES][];
  private int next;

  /** Creates the state; JMH calls {@link #generate()}. */
  public SqliteVectorSearch() {}

  /** Makes the vectors and, from the same clusters, the queries. */
  @Setup(Level.Trial)
  public void generate() {
    ClusteredVectors source = new ClusteredVectors(dimension, SEED);
    vectors = source.rows(rows);
    for (int i = 0; i < QUERIES; i++) {
      queries[i] = source.next();
    }
  }

  /**
   * Fails unless {@code found}, the answer to the first query, holds at least {@code agreeing} of
   * the exact answer's rows.
   */
  private void check(String what, int[] found, int agreeing) {
    int[] exact = ClusteredVectors.nearest(vectors, dimension, 0, rows, queries[0], K);
    long agree =
        Arrays.stream(found).filter(r -> Arrays.stream(exact).anyMatch(e -> e == r)).count();
    if (agree < agreeing) {
      throw new IllegalStateException(
          what
              + " returned rows "
              + Arrays.toString(found)
              + " where the exact answer is "
              + Arrays.toString(exact));
    }
  }

  private float[] nextQuery() {
    next = (next + 1) % QUERIES;
    return queries[next];
  }

  /** The library's side: a SQLite file whose one owner holds every row. */
  @State(Scope.Benchmark)
  public static class Library {
    Fixture fixture;
    SearchScope scope;

    /** Creates the state; JMH calls {@link #open(SqliteVectorSearch)}. */
    public Library() {}

    /**
     * Loads the rows through the library, then measures the first search and checks its answer.
     *
     * @param bench the vectors
     */
    @Setup(Level.Trial)
    public void open(SqliteVectorSearch bench) {
      fixture = Fixture.open("sqlite", bench.dimension);
      String owner = fixture.users.get(0).id();
      scope = SearchScope.user(owner);
      fixture.upsertChunks(owner, bench.vectors, 0, bench.rows);

      // a search of an owner without chunks loads the code the search runs, and nothing else; the
      // owner has no copy in memory yet, so its first search loads its embeddings
      fixture.db.vectors().search(bench.queries[0], K, SearchScope.user(fixture.users.get(1).id()));
      long heapBefore = usedHeapAfterGc();
      long start = System.nanoTime();
      List<ChunkMatch> first = fixture.db.vectors().search(bench.queries[0], K, scope);
      long loadNanos = System.nanoTime() - start;
      long heapAfter = usedHeapAfterGc();

      // the library searches exactly: its answer is the exact one
      bench.check(
          "library", first.stream().mapToInt(m -> Fixture.row(m.chunk().id())).toArray(), K);
      System.out.println(
          LOAD_LINE
              + String.format(
                  Locale.ROOT,
                  " {\"dimension\": %d, \"rows\": %d, \"vectorApi\": %b,"
                      + " \"firstSearchMs\": %.1f, \"heapBytesPerVector\": %.0f}",
                  bench.dimension,
                  bench.rows,
                  ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                  loadNanos / 1e6,
                  (double) (heapAfter - heapBefore) / bench.rows));
    }

    private static long usedHeapAfterGc() {
      System.gc();
      System.gc();
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Closes and removes the database. */
    @TearDown(Level.Trial)
    public void close() {
      fixture.close();
    }
  }

  /** The floor in plain Java. */
  @State(Scope.Benchmark)
  public static class ScalarScan {
    Floor floor;

    /** Creates the state; JMH calls {@link #prepare(SqliteVectorSearch)}. */
    public ScalarScan() {}

    /**
     * Computes the rows' norms and checks the floor's answer.
     *
     * @param bench the vectors
     */
    @Setup(Level.Trial)
    public void prepare(SqliteVectorSearch bench) {
      floor = Floor.scalar(bench.vectors, bench.rows, bench.dimension);
      // single precision may swap the 10th row with the 11th
      bench.check("ScalarScan", floor.nearest(bench.queries[0], K), K - 1);
    }
  }

  /** The floor on the Vector API. */
  @State(Scope.Benchmark)
  public static class VectorApiScan {
    Floor floor;

    /** Creates the state; JMH calls {@link #prepare(SqliteVectorSearch)}. */
    public VectorApiScan() {}

    /**
     * Computes the rows' norms and checks the floor's answer.
     *
     * @param bench the vectors
     * @throws IllegalStateException without the {@code jdk.incubator.vector} module
     */
    @Setup(Level.Trial)
    public void prepare(SqliteVectorSearch bench) {
      floor = Floor.vectorApi(bench.vectors, bench.rows, bench.dimension);
      // single precision may swap the 10th row with the 11th
      bench.check("VectorApiScan", floor.nearest(bench.queries[0], K), K - 1);
    }
  }

  /**
   * vectors().search through the library: the 10 nearest of the owner's chunks.
   *
   * @param library the provider
   * @return the matches
   */
  @Benchmark
  public List<ChunkMatch> library(Library library) {
    return library.fixture.db.vectors().search(nextQuery(), K, library.scope);
  }

  /**
   * The floor in plain Java.
   *
   * @param scan the floor
   * @return the 10 nearest rows
   */
  @Benchmark
  public int[] floorScalar(ScalarScan scan) {
    return scan.floor.nearest(nextQuery(), K);
  }

  /**
   * The floor on the Vector API; needs {@code -jvmArgsAppend --add-modules=jdk.incubator.vector}.
   *
   * @param scan the floor
   * @return the 10 nearest rows
   */
  @Benchmark
  public int[] floorVectorApi(VectorApiScan scan) {
    return scan.floor.nearest(nextQuery(), K);
  }
}
