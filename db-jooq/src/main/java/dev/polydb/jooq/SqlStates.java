package dev.polydb.jooq;

import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Set;

/** SQLState classes every database shares, read the same way when opening and on every call. */
final class SqlStates {
  /**
   * Failures worth retrying as they are: serialization failure, deadlock, the server shutting down
   * or starting up, too many connections. Class 08 (connection exceptions) is transient as a whole.
   */
  private static final Set<String> TRANSIENT =
      Set.of("40001", "40P01", "57P01", "57P02", "57P03", "53300");

  private SqlStates() {}

  /**
   * Whether retrying the same work may succeed.
   *
   * @param sql the driver's exception
   * @return {@code true} for a connection exception, a state in {@link #TRANSIENT} or a {@link
   *     SQLTransientException}
   */
  static boolean isTransient(SQLException sql) {
    String state = sql.getSQLState();
    if (state != null && (state.startsWith("08") || TRANSIENT.contains(state))) {
      return true;
    }
    return sql instanceof SQLTransientException;
  }

  /**
   * Whether the connection itself failed (class 08, or the server ending the session), so that a
   * statement sent on it may or may not have reached the database.
   *
   * @param sql the driver's exception
   * @return {@code true} for a lost connection
   */
  static boolean isConnectionLoss(SQLException sql) {
    String state = sql.getSQLState();
    return state != null
        && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02"));
  }

  /** The first {@link SQLException} in a cause chain, or {@code null}. */
  static SQLException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SQLException s) {
        return s;
      }
    }
    return null;
  }
}
