package dev.polydb.api;

/** An operation that demands an existing row (a user, for instance) did not find it. */
public final class DbNotFoundException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, without any secret
   */
  public DbNotFoundException(String message) {
    super(message, null, null);
  }

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbNotFoundException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
