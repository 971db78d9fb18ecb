package dev.polydb.bench;

/**
 * The floor of an exact search in memory: one pass over a flat row-major {@code float[]} with the
 * rows' norms computed beforehand, the cosine distance in single precision, the {@code k} nearest
 * kept in a small heap. Nothing else: no ids, no filter, no rounding bound, no exact re-scoring.
 * Each subclass gives the dot product: {@link #scalar} in plain Java, {@link #vectorApi} on the
 * Vector API.
 */
abstract class Floor {
  private final float[] rows;
  private final int count;
  private final int dimension;
  private final float[] inverseNorms;

  /**
   * @param rows the vectors, row-major
   * @param count how many rows of {@code rows} to scan, from the first
   * @param dimension the row length
   */
  Floor(float[] rows, int count, int dimension) {
    this.rows = rows;
    this.count = count;
    this.dimension = dimension;
    this.inverseNorms = new float[count];
    for (int r = 0; r < count; r++) {
      double sum = 0;
      for (int i = r * dimension; i < (r + 1) * dimension; i++) {
        sum += (double) rows[i] * rows[i];
      }
      inverseNorms[r] = (float) (1 / Math.sqrt(sum));
    }
  }

  /** The floor in plain Java: eight independent float sums, which the processor overlaps. */
  static Floor scalar(float[] rows, int count, int dimension) {
    return new Floor(rows, count, dimension) {
      @Override
      float dot(float[] q, float[] m, int offset, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i <= n - 8; i += 8) {
          int o = offset + i;
          s0 += q[i] * m[o];
          s1 += q[i + 1] * m[o + 1];
          s2 += q[i + 2] * m[o + 2];
          s3 += q[i + 3] * m[o + 3];
          s4 += q[i + 4] * m[o + 4];
          s5 += q[i + 5] * m[o + 5];
          s6 += q[i + 6] * m[o + 6];
          s7 += q[i + 7] * m[o + 7];
        }
        for (; i < n; i++) {
          s0 += q[i] * m[offset + i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
      }
    };
  }

  /**
   * The floor on the Vector API.
   *
   * @throws IllegalStateException when the JVM lacks the {@code jdk.incubator.vector} module
   */
  static Floor vectorApi(float[] rows, int count, int dimension) {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      throw new IllegalStateException(
          "the Vector API floor needs the jdk.incubator.vector module: run the JVM with"
              + " --add-modules=jdk.incubator.vector (JMH: -jvmArgsAppend"
              + " --add-modules=jdk.incubator.vector)");
    }
    try {
      // compiled apart, with the module (src/main/java-vector): only loaded when the JVM has it
      return (Floor)
          Class.forName("dev.polydb.bench.VectorApiFloor")
              .getDeclaredConstructor(float[].class, int.class, int.class)
              .newInstance(rows, count, dimension);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("the Vector API floor cannot be loaded: " + e, e);
    }
  }

  /**
   * The dot product of {@code q}, from its start, with {@code n} values of {@code m} from {@code
   * offset}.
   */
  abstract float dot(float[] q, float[] m, int offset, int n);

  /**
   * The {@code k} rows nearest to {@code query} by cosine distance, nearest first.
   *
   * @return the rows' indexes
   */
  final int[] nearest(float[] query, int k) {
    float inverseQueryNorm = (float) (1 / Math.sqrt(dot(query, query, 0, dimension)));
    // a max-heap on distance of the best k so far: its root is the one to beat
    float[] worst = new float[k];
    int[] index = new int[k];
    int size = 0;
    for (int r = 0; r < count; r++) {
      float distance =
          1 - dot(query, rows, r * dimension, dimension) * inverseNorms[r] * inverseQueryNorm;
      if (size < k) {
        siftUp(worst, index, size++, distance, r);
      } else if (distance < worst[0]) {
        siftDown(worst, index, k, distance, r);
      }
    }
    int[] nearest = new int[size];
    for (int n = size; n > 0; n--) {
      nearest[n - 1] = index[0];
      siftDown(worst, index, n - 1, worst[n - 1], index[n - 1]);
    }
    return nearest;
  }

  private static void siftUp(float[] heap, int[] index, int at, float distance, int row) {
    while (at > 0) {
      int parent = (at - 1) >>> 1;
      if (heap[parent] >= distance) {
        break;
      }
      heap[at] = heap[parent];
      index[at] = index[parent];
      at = parent;
    }
    heap[at] = distance;
    index[at] = row;
  }

  /** Replaces the root of the heap's first {@code size} entries and restores the order. */
  private static void siftDown(float[] heap, int[] index, int size, float distance, int row) {
    int at = 0;
    while (true) {
      int child = 2 * at + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] > heap[child]) {
        child++;
      }
      if (heap[child] <= distance) {
        break;
      }
      heap[at] = heap[child];
      index[at] = index[child];
      at = child;
    }
    heap[at] = distance;
    index[at] = row;
  }
}
