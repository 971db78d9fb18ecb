package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.util.Optional;

/**
 * A vector store's fixed settings.
 *
 * <p>Above {@value #MAX_FULL_PRECISION_DIMENSION} dimensions every backend keeps embeddings at half
 * precision (IEEE 754 binary16, pgvector's {@code halfvec}): components are rounded to the nearest
 * half-precision value on write and for the query, so both backends store and compare the same
 * numbers, and a component beyond &plusmn;{@value #HALF_PRECISION_MAX} is refused.
 *
 * @param dimension the embedding dimension
 * @param metric the distance metric
 * @param model the embedding model the store accepts; empty until the first chunk is written when
 *     none was configured
 */
public record VectorSettings(int dimension, DistanceMetric metric, Optional<String> model) {
  /** The largest dimension stored at single precision; above it, embeddings are half precision. */
  public static final int MAX_FULL_PRECISION_DIMENSION = 2000;

  /**
   * The largest dimension an approximate index (HNSW or IVFFlat, over {@code halfvec}) takes on
   * PostgreSQL; above it the search is exact, and asking for an index is refused.
   */
  public static final int MAX_INDEXED_DIMENSION = 4000;

  /** The largest magnitude of a half-precision component. */
  public static final float HALF_PRECISION_MAX = 65504f;

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a field is invalid
   */
  public VectorSettings {
    Check.range("dimension", dimension, 1, 16_000);
    Check.notNull("metric", metric);
    Check.notNull("model", model);
  }

  /**
   * Whether embeddings are kept at half precision, which they are above {@value
   * #MAX_FULL_PRECISION_DIMENSION} dimensions.
   *
   * @return {@code true} for half precision
   */
  public boolean halfPrecision() {
    return dimension > MAX_FULL_PRECISION_DIMENSION;
  }
}
