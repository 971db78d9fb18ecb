package dev.polydb.bench;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Unit vectors that cluster as embeddings do, and the exact answer to a cosine search over them,
 * shared by the vector benchmarks so that they all search alike data and score recall alike. Each
 * vector is one of {@value #CLUSTERS} random unit centroids plus gaussian noise of norm about
 * {@value #NOISE}, normalised; everything follows from the seed.
 */
final class ClusteredVectors {
  static final int CLUSTERS = 100;
  static final double NOISE = 0.8;

  final int dimension;
  private final SplittableRandom random;
  private final float[][] centroids = new float[CLUSTERS][];

  ClusteredVectors(int dimension, long seed) {
    this.dimension = dimension;
    this.random = new SplittableRandom(seed);
    for (int c = 0; c < CLUSTERS; c++) {
      centroids[c] = normalised(gaussian(1.0));
    }
  }

  /** The next vector: a random centroid plus noise, normalised. */
  float[] next() {
    float[] v = gaussian(NOISE / Math.sqrt(dimension));
    float[] centroid = centroids[random.nextInt(CLUSTERS)];
    for (int i = 0; i < dimension; i++) {
      v[i] += centroid[i];
    }
    return normalised(v);
  }

  /** The next {@code count} vectors in one row-major array. */
  float[] rows(int count) {
    float[] rows = new float[Math.multiplyExact(count, dimension)];
    for (int r = 0; r < count; r++) {
      System.arraycopy(next(), 0, rows, r * dimension, dimension);
    }
    return rows;
  }

  /**
   * The exact {@code k} nearest of rows {@code [from, to)} to {@code query} by cosine distance,
   * computed in double precision, nearest first, ties broken by row: the ground truth of recall.
   *
   * @return the rows' indexes
   */
  static int[] nearest(float[] rows, int dimension, int from, int to, float[] query, int k) {
    double queryNorm = norm(query, 0, dimension);
    double[] distance = new double[to - from];
    for (int r = from; r < to; r++) {
      double dot = 0;
      for (int i = 0, o = r * dimension; i < dimension; i++, o++) {
        dot += (double) query[i] * rows[o];
      }
      distance[r - from] = 1 - dot / (queryNorm * norm(rows, r * dimension, dimension));
    }
    // a stable sort of the rows in order: ties stay by row
    return IntStream.range(from, to)
        .boxed()
        .sorted((a, b) -> Double.compare(distance[a - from], distance[b - from]))
        .limit(k)
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private float[] gaussian(double sigma) {
    float[] v = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) (random.nextGaussian() * sigma);
    }
    return v;
  }

  private static double norm(float[] v, int offset, int length) {
    double sum = 0;
    for (int i = offset; i < offset + length; i++) {
      sum += (double) v[i] * v[i];
    }
    return Math.sqrt(sum);
  }

  private static float[] normalised(float[] v) {
    double norm = norm(v, 0, v.length);
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (v[i] / norm);
    }
    return v;
  }
}
