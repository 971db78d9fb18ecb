package dev.polydb.api;

/**
 * A failure that is safe to retry: connection lost, serialization failure, deadlock, a busy
 * database or a timeout.
 */
public class DbTransientException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, without any secret
   */
  public DbTransientException(String message) {
    super(message, null, null);
  }

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbTransientException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
