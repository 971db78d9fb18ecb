package dev.polydb.api;

import java.util.Optional;

/**
 * Root of the library's unchecked exceptions. Every backend maps its own errors onto one of the
 * subclasses, so a caller never needs to know which database it runs on. The original cause, and
 * its SQLState when there is one, are kept.
 */
public abstract class DbException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String sqlState;

  /**
   * Creates an exception.
   *
   * @param message what went wrong, without any secret
   * @param sqlState the SQLState of the database error, or {@code null}
   * @param cause the underlying error, or {@code null}
   */
  protected DbException(String message, String sqlState, Throwable cause) {
    super(message, cause);
    this.sqlState = sqlState;
  }

  /**
   * The SQLState reported by the database, when the error came from one.
   *
   * @return the SQLState, or empty
   */
  public Optional<String> sqlState() {
    return Optional.ofNullable(sqlState);
  }
}
