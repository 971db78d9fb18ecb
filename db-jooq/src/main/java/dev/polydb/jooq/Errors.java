package dev.polydb.jooq;

import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbFailureException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.DbTimeoutException;
import dev.polydb.api.DbTransientException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import org.jooq.exception.DataAccessException;

/**
 * How failures become the api's exceptions, on every call and when a provider opens. A message is
 * built from the operation, the kind of failure and the SQLState; the driver's own message stays in
 * the cause, because it may quote row values ({@code Key (email)=(…)}).
 */
final class Errors {
  private Errors() {}

  /**
   * Maps a failure of a call: the api's own exceptions pass through, database errors go through the
   * backend and then the SQLState classes every database shares.
   */
  static RuntimeException translate(SqlBackend backend, RuntimeException e, String operation) {
    if (e instanceof DbException || !(e instanceof DataAccessException)) {
      return e;
    }
    SQLException sql = SqlStates.find(e);
    if (sql == null) {
      return new DbFailureException(
          operation + " failed in the data access layer (" + e.getClass().getSimpleName() + ")",
          null,
          e);
    }
    DbException mapped = backend.translate(sql, operation);
    if (mapped != null) {
      return mapped;
    }
    String state = sql.getSQLState();
    if (sql instanceof SQLTimeoutException || "57014".equals(state)) {
      return new DbTimeoutException(
          message(operation, "the statement ran past the statement timeout", sql), state, e);
    }
    if (SqlStates.isTransient(sql)) {
      return new DbTransientException(
          message(operation, "the connection or a concurrent transaction failed it", sql),
          state,
          e);
    }
    if ("23505".equals(state)) {
      return new DbConflictException(message(operation, "a unique key conflict", sql), state, e);
    }
    if ("23503".equals(state)) {
      return new DbNotFoundException(
          message(operation, "a referenced row is missing", sql), state, e);
    }
    if ("25006".equals(state) || "42501".equals(state)) {
      return new DbReadOnlyException(
          message(operation, "the database refused the write", sql), state, e);
    }
    return new DbFailureException(message(operation, "the database refused it", sql), state, e);
  }

  /**
   * {@code <operation> failed: <what> (SQLState <state>)}, without the driver's message.
   *
   * @param operation what was being done
   * @param what the kind of failure
   * @param sql the driver's exception, for its SQLState and vendor code
   * @return the message
   */
  static String message(String operation, String what, SQLException sql) {
    String state = sql.getSQLState();
    return operation
        + " failed: "
        + what
        + " ("
        + (state == null ? "error code " + sql.getErrorCode() : "SQLState " + state)
        + ")";
  }

  /**
   * Classifies a failure to open a provider by its cause. The address, the login or the database
   * being wrong is a configuration error that no retry fixes; a server that may come back (a
   * refused or lost connection, too many connections, shutting down or starting up) is transient.
   *
   * @param e the failure
   * @param what what was being opened, e.g. {@code postgres database <redacted url>}
   * @return the exception to throw
   */
  static DbException openFailure(Throwable e, String what) {
    if (e instanceof DbException d) {
      return d;
    }
    String prefix = "cannot open " + what + ": ";
    SQLException sql = SqlStates.find(e);
    String state = sql == null ? null : sql.getSQLState();
    if (cause(e, UnknownHostException.class) != null) {
      return new DbConfigException(
          prefix + "unknown host; check the host name in DATABASE_URL and the DNS", e);
    }
    if (state != null) {
      if (state.startsWith("28")) {
        return new DbConfigException(
            prefix
                + "the server refused the login (SQLState "
                + state
                + "); check the user and password in DATABASE_URL",
            e);
      }
      if (state.equals("3D000")) {
        return new DbConfigException(
            prefix
                + "the database does not exist (SQLState 3D000); create it or fix its name in"
                + " DATABASE_URL",
            e);
      }
      if (state.equals("42501")) {
        return new DbConfigException(
            prefix + "the user may not connect to this database (SQLState 42501)", e);
      }
      // 08004: the server rejected the connection itself (SSL it does not offer, say)
      if (!state.equals("08004") && SqlStates.isTransient(sql)) {
        return new DbTransientException(
            prefix
                + "the server cannot be reached or take a connection now (SQLState "
                + state
                + "); retrying later may help",
            state,
            e);
      }
    }
    if (cause(e, ConnectException.class) != null
        || cause(e, NoRouteToHostException.class) != null
        || cause(e, SocketTimeoutException.class) != null) {
      return new DbTransientException(
          prefix + "the server cannot be reached now; retrying later may help", state, e);
    }
    return new DbConfigException(
        prefix
            + "the database refused the connection or its settings ("
            + (state == null ? e.getClass().getSimpleName() : "SQLState " + state)
            + ")",
        e);
  }

  /** The first cause of a type in a chain, or {@code null}. */
  static <T extends Throwable> T cause(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
