package dev.polydb.api;

/**
 * A write collided with a unique rule: the identity, key or event already exists, or the user
 * already has an active subscription.
 */
public final class DbConflictException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, without any secret
   */
  public DbConflictException(String message) {
    super(message, null, null);
  }

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbConflictException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
