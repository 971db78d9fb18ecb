package dev.polydb.api;

/**
 * A write was refused because the provider (mutations disabled) or the database is read-only. With
 * mutations disabled it is raised before any statement is sent.
 */
public final class DbReadOnlyException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened, without any secret
   */
  public DbReadOnlyException(String message) {
    super(message, null, null);
  }

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbReadOnlyException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
