package dev.polydb.api;

/**
 * The configuration cannot be used: a malformed {@code DATABASE_URL}, an out-of-range setting, no
 * provider on the class path for the URL, or a database whose schema is behind a read-only
 * provider. The message says what to change; it never contains a password.
 */
public final class DbConfigException extends DbException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong and what to do, without any secret
   */
  public DbConfigException(String message) {
    super(message, null, null);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what is wrong and what to do, without any secret
   * @param cause the underlying error
   */
  public DbConfigException(String message, Throwable cause) {
    super(message, null, cause);
  }
}
