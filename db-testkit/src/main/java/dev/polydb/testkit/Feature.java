package dev.polydb.testkit;

/**
 * Optional behaviour a backend may declare it does not support; the suite then skips (never
 * silently passes) the tests that need it.
 */
public enum Feature {
  /** Several providers, or processes, open one database at once. */
  SHARED_DATABASE,
  /** A database can be opened read-only on an unmigrated or older schema to test the refusal. */
  UNMIGRATED_DATABASE,
  /**
   * Vector search ({@code DbProvider#vectors()}): without it the vector store's tests, and the
   * tests of other areas that write or search chunks, are skipped.
   */
  VECTOR_SEARCH,
  /**
   * Tenants ({@code DbProvider#tenant}, {@code DB_TENANT}): with them an unknown tenant is not
   * found; without them asking for one is a configuration error.
   */
  TENANTS
}
