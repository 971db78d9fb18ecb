package dev.polydb.api;

/**
 * A journal write was refused because it would take the user past the configured byte quota.
 * Nothing was written.
 */
public final class DbQuotaExceededException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, without any secret
   */
  public DbQuotaExceededException(String message) {
    super(message, null, null);
  }

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbQuotaExceededException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
