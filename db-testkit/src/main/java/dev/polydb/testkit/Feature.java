package dev.polydb.testkit;

/**
 * Optional behaviour a backend may declare it does not support; the suite then skips (never
 * silently passes) the tests that need it.
 */
public enum Feature {
  /** Several providers, or processes, open one database at once. */
  SHARED_DATABASE,
  /** A database can be opened read-only on an unmigrated or older schema to test the refusal. */
  UNMIGRATED_DATABASE
}
