package dev.polydb.api;

/**
 * How vector distance is measured, fixed per database when it is migrated. The values follow
 * pgvector's operators so both backends agree.
 */
public enum DistanceMetric {
  /** {@code 1 - cos(a, b)}; pgvector {@code <=>}. The default. */
  COSINE,
  /** Euclidean distance; pgvector {@code <->}. */
  L2,
  /** The negated inner product; pgvector {@code <#>}. */
  INNER_PRODUCT
}
