package dev.polydb.sqlite;

import dev.polydb.api.DistanceMetric;
import dev.polydb.api.SearchScope;
import dev.polydb.sqlite.internal.Kernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One owner's chunks as the exact scan needs them: every embedding in one row-major {@code float[]}
 * that the scan streams through, beside each row's id, document and metadata. Searches share it
 * under a read lock; this process's own committed writes change it in place under the write lock,
 * so a one-chunk upsert does not reload the rest.
 *
 * <p>A search scores every row in single precision with the {@link Kernel}, keeps the rows that may
 * belong to the k nearest given the kernel's rounding bound, and scores those again exactly, in
 * double precision: the result is the same as a scan in double precision, at the speed of one in
 * single precision.
 */
final class OwnerCopy {
  /** A row's fields besides its embedding. */
  private record Row(String id, String document, Map<String, String> metadata) {}

  /**
   * A row among the nearest, with what the copy holds of its chunk, taken under the read lock.
   *
   * @param id the chunk's id
   * @param distance its distance to the query, in double precision
   * @param document its document
   * @param metadata its metadata
   * @param embedding its embedding as stored
   */
  record Match(
      String id,
      double distance,
      String document,
      Map<String, String> metadata,
      float[] embedding) {}

  /**
   * A search's answer and the owner's epoch the copy held when it answered.
   *
   * @param epoch the copy's epoch
   * @param matches nearest first
   */
  record Nearest(long epoch, List<Match> matches) {}

  /** A candidate row scored exactly. */
  private record Scored(int row, String id, double distance) {}

  private static final Comparator<Scored> NEAREST_FIRST =
      Comparator.comparingDouble(Scored::distance)
          .thenComparing(Scored::id, OwnerCopy::byCodePoint);

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final int dimension;
  private long epoch;
  private int size;
  private Row[] rows;
  private float[] vectors;

  /**
   * Below this norm the underflow of a row's products may weigh more than the scan's rounding bound
   * allows for: such a row is scored exactly in every cosine search instead.
   */
  private static final double TINY_NORM = 0x1p-60;

  /**
   * Each row's norm's inverse, which the cosine scan multiplies by; NaN for a row whose norm is
   * below {@link #TINY_NORM}, which the scan's candidates then pass over.
   */
  private float[] inverseNorms;

  /** How many rows have a norm below {@link #TINY_NORM}. */
  private int tinyRows;

  /** The largest norm of any row, or more: an upper bound that deletions do not lower. */
  private float maxNorm;

  private final Map<String, Integer> rowById = new HashMap<>();

  /**
   * An empty copy.
   *
   * @param dimension the embeddings' dimension
   * @param epoch the owner's epoch it holds
   * @param expected how many rows to make room for at once (a load counts them first, so that its
   *     arrays are neither copied while they grow nor left larger than needed)
   */
  OwnerCopy(int dimension, long epoch, int expected) {
    this.dimension = dimension;
    this.epoch = epoch;
    this.rows = new Row[expected];
    this.vectors = new float[Math.multiplyExact(expected, dimension)];
    this.inverseNorms = new float[expected];
  }

  /** Adds a row read from the database, decoding its float32 little-endian blob in place. */
  void load(String id, String document, Map<String, String> metadata, byte[] embedding) {
    if (embedding.length != dimension * Float.BYTES) {
      throw new IllegalStateException(
          "embedding of "
              + embedding.length
              + " bytes where dimension "
              + dimension
              + " needs "
              + dimension * Float.BYTES);
    }
    int r = append(new Row(id, document, metadata));
    ByteBuffer.wrap(embedding)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(vectors, r * dimension, dimension);
    setNorm(r);
  }

  /** The owner's epoch this copy holds. */
  long epoch() {
    lock.readLock().lock();
    try {
      return epoch;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The heap this copy holds in its embeddings, in floats, for the cache's weight. */
  int weight() {
    return Math.max(1, vectors.length);
  }

  /**
   * Applies one committed write's changes, if this copy holds exactly what the write started from.
   *
   * @param from the owner's epoch before the write
   * @param to the owner's epoch after it
   * @param changes the changes, in order
   * @return whether the copy now holds the owner's chunks at {@code to}
   */
  boolean apply(long from, long to, List<Change> changes) {
    lock.writeLock().lock();
    try {
      if (epoch == to) {
        return true;
      }
      if (epoch != from) {
        return false;
      }
      for (Change change : changes) {
        change.applyTo(this);
      }
      epoch = to;
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** A change a write made to one owner's chunks. */
  sealed interface Change {
    void applyTo(OwnerCopy copy);
  }

  /** A chunk inserted or replaced. */
  record Upserted(String id, String document, Map<String, String> metadata, float[] embedding)
      implements Change {
    @Override
    public void applyTo(OwnerCopy copy) {
      copy.upsert(this);
    }
  }

  /** A document's chunks deleted. */
  record DeletedDocument(String document) implements Change {
    @Override
    public void applyTo(OwnerCopy copy) {
      for (int r = copy.size - 1; r >= 0; r--) {
        if (copy.rows[r].document().equals(document)) {
          copy.remove(r);
        }
      }
    }
  }

  /** All the owner's chunks deleted. */
  record DeletedAll() implements Change {
    @Override
    public void applyTo(OwnerCopy copy) {
      while (copy.size > 0) {
        copy.remove(copy.size - 1);
      }
    }
  }

  private void upsert(Upserted u) {
    Integer existing = rowById.get(u.id());
    Row row = new Row(u.id(), u.document(), u.metadata());
    int r;
    if (existing == null) {
      r = append(row);
    } else {
      r = existing;
      rows[r] = row;
    }
    System.arraycopy(u.embedding(), 0, vectors, r * dimension, dimension);
    setNorm(r);
  }

  private int append(Row row) {
    if (size == rows.length) {
      int capacity = Math.max(16, size + (size >> 1));
      rows = Arrays.copyOf(rows, capacity);
      vectors = Arrays.copyOf(vectors, Math.multiplyExact(capacity, dimension));
      inverseNorms = Arrays.copyOf(inverseNorms, capacity);
    }
    int r = size++;
    rows[r] = row;
    rowById.put(row.id(), r);
    return r;
  }

  /** Removes a row by moving the last one into its place. */
  private void remove(int r) {
    rowById.remove(rows[r].id());
    int last = --size;
    if (r != last) {
      rows[r] = rows[last];
      setInverseNorm(r, inverseNorms[last]);
      System.arraycopy(vectors, last * dimension, vectors, r * dimension, dimension);
      rowById.put(rows[r].id(), r);
    }
    rows[last] = null;
    setInverseNorm(last, 0); // an empty place is not a tiny row
  }

  private void setInverseNorm(int r, float inverse) {
    tinyRows += (Float.isNaN(inverse) ? 1 : 0) - (Float.isNaN(inverseNorms[r]) ? 1 : 0);
    inverseNorms[r] = inverse;
  }

  private void setNorm(int r) {
    int offset = r * dimension;
    double sum = 0;
    for (int i = 0; i < dimension; i++) {
      double x = vectors[offset + i];
      sum += x * x;
    }
    double norm = Math.sqrt(sum);
    setInverseNorm(r, norm < TINY_NORM ? Float.NaN : (float) (1 / norm));
    maxNorm = Math.max(maxNorm, Math.nextUp((float) norm));
  }

  /**
   * The {@code k} nearest rows of the scope, nearest first, ties by id in code point order, with
   * distances computed in double precision.
   */
  Nearest nearest(Kernel kernel, float[] query, int k, SearchScope scope, DistanceMetric metric) {
    lock.readLock().lock();
    try {
      int[] scoped = scoped(scope);
      int n = scoped == null ? size : scoped.length;
      if (n == 0) {
        return new Nearest(epoch, List.of());
      }
      Candidates candidates = scan(kernel, query, k, scoped, n, metric);
      float limit = candidates.limit;
      double queryNorm = Math.sqrt(dot(query, query));
      List<Scored> scored = new ArrayList<>();
      for (int c = 0; c < candidates.count; c++) {
        if (candidates.distances[c] <= limit) {
          int r = candidates.rows[c];
          scored.add(new Scored(r, rows[r].id(), exactDistance(query, queryNorm, r, metric)));
        }
      }
      scored.sort(NEAREST_FIRST);
      List<Match> nearest = new ArrayList<>(Math.min(k, scored.size()));
      for (Scored found : scored.subList(0, Math.min(k, scored.size()))) {
        Row row = rows[found.row()];
        int offset = found.row() * dimension;
        nearest.add(
            new Match(
                row.id(),
                found.distance(),
                row.document(),
                row.metadata(),
                Arrays.copyOfRange(vectors, offset, offset + dimension)));
      }
      return new Nearest(epoch, nearest);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The rows a scope with filters admits, or {@code null} for all of them. */
  private int[] scoped(SearchScope scope) {
    Map<String, String> wanted = scope.metadataEquals();
    if (scope.documentIds().isEmpty() && wanted.isEmpty()) {
      return null;
    }
    int[] admitted = new int[size];
    int n = 0;
    for (int r = 0; r < size; r++) {
      if (!scope.documentIds().isEmpty() && !scope.documentIds().contains(rows[r].document())) {
        continue;
      }
      if (!matches(rows[r].metadata(), wanted)) {
        continue;
      }
      admitted[n++] = r;
    }
    return Arrays.copyOf(admitted, n);
  }

  private static boolean matches(Map<String, String> metadata, Map<String, String> wanted) {
    for (var e : wanted.entrySet()) {
      if (!e.getValue().equals(metadata.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Scores each row of the scope in single precision, in the metric's order (cosine distance,
   * squared Euclidean distance, or negative inner product), in one pass that keeps only the rows
   * that may be among the k nearest: like the floor, no score is stored for a row that cannot be.
   */
  private Candidates scan(
      Kernel kernel, float[] query, int k, int[] scoped, int n, DistanceMetric metric) {
    double queryNorm = Math.sqrt(dot(query, query));
    Candidates candidates = new Candidates(k, dimension, metric, queryNorm * maxNorm);
    switch (metric) {
      case COSINE -> {
        // the query scaled to norm 1 in double precision, so that its products do not underflow
        float[] direction = new float[dimension];
        for (int i = 0; i < dimension; i++) {
          direction[i] = (float) (query[i] / queryNorm);
        }
        if (scoped == null) {
          // the common case, a whole owner, in a loop of its own: nothing but the scan in it
          for (int r = 0; r < n; r++) {
            candidates.offer(
                r, 1f - kernel.dot(direction, vectors, r * dimension) * inverseNorms[r]);
          }
        } else {
          for (int j = 0; j < n; j++) {
            int r = scoped[j];
            candidates.offer(
                r, 1f - kernel.dot(direction, vectors, r * dimension) * inverseNorms[r]);
          }
        }
        if (tinyRows > 0) {
          // their approximate distance (NaN) was passed over: each is scored exactly
          for (int j = 0; j < n; j++) {
            int r = scoped == null ? j : scoped[j];
            if (Float.isNaN(inverseNorms[r])) {
              candidates.keep(r);
            }
          }
        }
      }
      case L2 -> {
        for (int j = 0; j < n; j++) {
          int r = scoped == null ? j : scoped[j];
          candidates.offer(r, kernel.squaredDistance(query, vectors, r * dimension));
        }
      }
      case INNER_PRODUCT -> {
        for (int j = 0; j < n; j++) {
          int r = scoped == null ? j : scoped[j];
          candidates.offer(r, -kernel.dot(query, vectors, r * dimension));
        }
      }
    }
    return candidates;
  }

  /**
   * The rows a scan met that may belong to the k nearest, with their approximate distances; {@link
   * #limit} is the largest approximate distance such a row may have. It is the k-th smallest
   * approximate distance so far plus twice the kernel's rounding bound (once for that row, once for
   * the row compared with it): a sum of {@code d} products in single precision is off by at most
   * {@code (d + 2) · 2⁻²⁴} times the sum of the products' magnitudes, and a cosine distance takes
   * at most five roundings more (the query's scaling to norm 1, the row's inverse norm, the product
   * of the two, the subtraction from 1, and one to spare): {@code (d + 8) · 2⁻²⁴}, doubled below,
   * with the magnitudes at their largest (Cauchy–Schwarz: the product of the norms). Underflow adds
   * at most {@code d · 2⁻¹⁵⁰} to a sum, nothing beside that bound for a query scaled to norm 1 and
   * a row whose norm is at least 2⁻⁶⁰; a row below that has no approximate distance and is kept
   * ({@link #keep}). The limit only falls as the scan goes on, so a row above it when met stays
   * above it: the rows kept are a superset of those within the final limit, which the caller
   * applies.
   */
  private static final class Candidates {
    private final int k;
    private final int dimension;
    private final DistanceMetric metric;
    private final double unit;
    private final double magnitude;

    /** A max-heap of the k smallest approximate distances met: its root is the k-th. */
    private final float[] heap;

    private int heapSize;
    int[] rows = new int[64];
    float[] distances = new float[64];
    int count;
    float limit = Float.POSITIVE_INFINITY;

    /**
     * @param magnitude the largest a dot product's terms can sum to: the query's norm times the
     *     largest row norm (inner product only)
     */
    Candidates(int k, int dimension, DistanceMetric metric, double magnitude) {
      this.k = k;
      this.dimension = dimension;
      this.metric = metric;
      this.unit = (dimension + 8) * 0x1p-23;
      this.magnitude = magnitude;
      this.heap = new float[k];
    }

    /** Keeps a row to be scored exactly whatever the limit, outside the heap. */
    void keep(int row) {
      add(row, Float.NEGATIVE_INFINITY);
    }

    void offer(int row, float distance) {
      if (!(distance <= limit)) {
        return; // most rows once the heap is full, and a NaN always
      }
      add(row, distance);
      if (heapSize < k) {
        siftUp(distance);
        if (heapSize == k) {
          limit = limitFor(heap[0]);
        }
      } else if (distance < heap[0]) {
        siftDown(distance);
        limit = limitFor(heap[0]);
      }
    }

    private void add(int row, float distance) {
      if (count == rows.length) {
        rows = Arrays.copyOf(rows, count * 2);
        distances = Arrays.copyOf(distances, count * 2);
      }
      rows[count] = row;
      distances[count++] = distance;
    }

    private float limitFor(float kth) {
      double limit =
          switch (metric) {
            case COSINE -> kth + 2 * unit;
            case L2 -> kth * (1 + 3 * unit) + dimension * (double) Float.MIN_NORMAL;
            case INNER_PRODUCT -> kth + 2 * unit * magnitude;
          };
      return (float) Math.nextUp(limit);
    }

    private void siftUp(float distance) {
      int at = heapSize++;
      while (at > 0) {
        int parent = (at - 1) >>> 1;
        if (heap[parent] >= distance) {
          break;
        }
        heap[at] = heap[parent];
        at = parent;
      }
      heap[at] = distance;
    }

    /** Replaces the root and restores the order. */
    private void siftDown(float distance) {
      int at = 0;
      while (true) {
        int child = 2 * at + 1;
        if (child >= k) {
          break;
        }
        if (child + 1 < k && heap[child + 1] > heap[child]) {
          child++;
        }
        if (heap[child] <= distance) {
          break;
        }
        heap[at] = heap[child];
        at = child;
      }
      heap[at] = distance;
    }
  }

  /** The distance the contract reports, computed in double precision. */
  private double exactDistance(float[] query, double queryNorm, int r, DistanceMetric metric) {
    int offset = r * dimension;
    double dot = 0;
    double squares = 0;
    double sum = 0;
    for (int i = 0; i < dimension; i++) {
      double q = query[i];
      double v = vectors[offset + i];
      dot += q * v;
      squares += v * v;
      double d = q - v;
      sum += d * d;
    }
    return switch (metric) {
      case COSINE -> 1.0 - dot / (queryNorm * Math.sqrt(squares));
      case L2 -> Math.sqrt(sum);
      case INNER_PRODUCT -> -dot;
    };
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return sum;
  }

  /**
   * Ids in code point order, which is UTF-8 byte order: SQLite's BINARY and Postgres's "C"
   * collation. {@link String#compareTo} compares UTF-16 units and puts 😀 before U+FF21.
   */
  private static int byCodePoint(String a, String b) {
    return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
  }
}
