package dev.polydb.cli.internal;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * A failure the tool reports in one line, with the exit code a script acts on. Its message never
 * holds a password (URLs are redacted) or a row's values, and no driver text, which may quote them.
 */
public final class ToolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Done, and the databases are equal. */
  public static final int OK = 0;

  /** Differences found, or the work failed. */
  public static final int FAILED = 1;

  /** Bad usage: an unknown option, a missing argument. */
  public static final int USAGE = 2;

  /** Cannot connect, or the configuration was refused. */
  public static final int CONFIG = 3;

  /** SQLite's result code for a database another connection holds locked. */
  private static final int SQLITE_BUSY = 5;

  /** SQLite's result code for a table locked within the same file. */
  private static final int SQLITE_LOCKED = 6;

  /** The process's exit code: 1, 2 or 3. */
  private final int exitCode;

  private ToolException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /**
   * The work failed.
   *
   * @param message what failed
   * @return an exception with exit code 1
   */
  public static ToolException failed(String message) {
    return new ToolException(FAILED, message, null);
  }

  /**
   * The work failed because of a database error.
   *
   * @param message what failed
   * @param cause the error, kept as the cause only
   * @return an exception with exit code 1
   */
  public static ToolException failed(String message, SQLException cause) {
    return new ToolException(FAILED, message + " (" + describe(cause) + ")", cause);
  }

  /**
   * The configuration or the input was refused.
   *
   * @param message what was refused
   * @return an exception with exit code 3
   */
  public static ToolException config(String message) {
    return new ToolException(CONFIG, message, null);
  }

  /**
   * The input was refused because of a database error, e.g. a source that cannot be read in one
   * snapshot.
   *
   * @param message what was refused
   * @param cause the error, kept as the cause only
   * @return an exception with exit code 3
   */
  public static ToolException config(String message, SQLException cause) {
    return new ToolException(CONFIG, message + " (" + describe(cause) + ")", cause);
  }

  /**
   * A database could not be reached or refused the login.
   *
   * @param endpoint the database
   * @param cause the driver's error, kept as the cause only
   * @return an exception with exit code 3
   */
  public static ToolException unreachable(Endpoint endpoint, SQLException cause) {
    return new ToolException(
        CONFIG, "cannot connect to " + endpoint.redacted() + ": " + describe(cause), cause);
  }

  /**
   * The exit code.
   *
   * @return 1, 2 or 3
   */
  public int exitCode() {
    return exitCode;
  }

  /**
   * Whether the error means the database could not be reached or refused the login.
   *
   * @param e a driver error
   * @return {@code true} for an unknown host, a refused connection, SQLState classes 08 and 28, a
   *     missing database
   */
  public static boolean isConnectionFailure(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException || t instanceof ConnectException) {
        return true;
      }
    }
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    return state.startsWith("08") || state.startsWith("28") || state.equals("3D000");
  }

  /**
   * A few words for a driver error, by its SQLState and cause, never its text.
   *
   * @param e a driver error
   * @return e.g. {@code login refused, SQLState 28P01}
   */
  public static String describe(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return "unknown host";
      }
      if (t instanceof ConnectException) {
        return "connection refused";
      }
    }
    if (e.getSQLState() == null
        && (e.getErrorCode() == SQLITE_BUSY || e.getErrorCode() == SQLITE_LOCKED)) {
      return "the SQLite file is locked by another connection's write: stop the writer and retry";
    }
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String words =
        switch (state) {
          case "28000", "28P01" -> "login refused";
          case "3D000" -> "database does not exist";
          case "42501" -> "permission denied";
          case "53300" -> "too many connections";
          case "57P03" -> "the server is starting or shutting down";
          case "57014" -> "statement timeout or cancelled";
          case "23505" -> "duplicate key";
          case "23503" -> "missing foreign key";
          case "22021", "22P02", "22P05", "22007", "22008" -> "value refused by the target";
          default -> state.startsWith("08") ? "server not reachable" : "database error";
        };
    return state.isEmpty() ? words : words + ", SQLState " + state;
  }
}
