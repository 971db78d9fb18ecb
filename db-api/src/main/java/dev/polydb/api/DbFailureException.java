package dev.polydb.api;

/**
 * The database refused a statement for a reason the library does not classify (and that retrying
 * will not fix). The cause and its SQLState are kept.
 */
public class DbFailureException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception from a database error.
   *
   * @param message what happened, without any secret
   * @param sqlState the SQLState, or {@code null}
   * @param cause the database error
   */
  public DbFailureException(String message, String sqlState, Throwable cause) {
    super(message, sqlState, cause);
  }
}
