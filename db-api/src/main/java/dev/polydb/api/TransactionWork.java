package dev.polydb.api;

/**
 * Work run by {@link DbProvider#inTransaction}.
 *
 * @param <T> what the work returns
 */
@FunctionalInterface
public interface TransactionWork<T> {
  /**
   * Runs the work.
   *
   * @param tx a provider whose every call joins the transaction
   * @return the result
   */
  T run(DbProvider tx);
}
