package dev.polydb.api;

/** A statement ran past the configured statement timeout and was cancelled. Safe to retry. */
public final class DbTimeoutException extends DbTransientException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbTimeoutException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
