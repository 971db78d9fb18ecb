package dev.polydb.api;

/**
 * The connection was lost while a write was committing (a transaction's COMMIT, or a write of one
 * statement that commits by itself, once it was sent): the database may have applied it or not, and
 * nobody can tell from here. Unlike {@link DbTransientException} this is not an invitation to retry
 * blindly. Retrying is safe for the writes that are idempotent: an upsert, a revocation, a journal
 * insert with the caller's own entry id ({@link Journal#insert(String, String, String)}), a
 * subscription change with its provider event id, and a refresh-token rotation inside the reuse
 * grace window (the retry gets the same new token). For any other write, read back first.
 */
public final class DbOutcomeUnknownException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbOutcomeUnknownException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
