package dev.polydb.jooq;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.Configuration;
import org.jooq.ConnectionProvider;
import org.jooq.exception.DataAccessException;

/**
 * The hot paths' way to the database: a statement jOOQ rendered once, when the provider opened, for
 * the backend's dialect (binds as {@code ?}, in order), run with plain JDBC and bound values. jOOQ
 * building, rendering and binding a statement on every call cost more client time than the
 * statement's own round trip (see docs/performance.md); the SQL is still jOOQ's.
 */
final class Sql {
  private Sql() {}

  /** Work on one connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Binds a statement's values. */
  @FunctionalInterface
  interface Binder {
    void bind(PreparedStatement s) throws SQLException;
  }

  /** Reads the current row. */
  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /**
   * Runs work on the connection a jOOQ configuration holds: a transaction's own inside {@code
   * transactionResult}. A {@link SQLException} becomes jOOQ's {@link DataAccessException}, so that
   * the transaction rolls back and the error is translated as any other.
   */
  static <T> T on(Configuration configuration, Work<T> work) {
    ConnectionProvider provider = configuration.connectionProvider();
    Connection c = provider.acquire();
    try {
      return work.run(c);
    } catch (SQLException e) {
      throw wrap(e);
    } finally {
      provider.release(c);
    }
  }

  /** The failure as jOOQ reports one; the driver's message stays in the cause only. */
  static DataAccessException wrap(SQLException e) {
    return new DataAccessException("statement failed (SQLState " + e.getSQLState() + ")", e);
  }

  /** The first row, if any. */
  static <T> Optional<T> one(Connection c, String sql, Binder binder, Row<T> row)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(row.map(rs)) : Optional.empty();
      }
    }
  }

  /** Every row. */
  static <T> List<T> list(Connection c, String sql, Binder binder, Row<T> row) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      try (ResultSet rs = s.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(row.map(rs));
        }
        return rows;
      }
    }
  }

  /** Whether the query returns a row. */
  static boolean exists(Connection c, String sql, Binder binder) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** The rows an update, insert or delete changed. */
  static int update(Connection c, String sql, Binder binder) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      return s.executeUpdate();
    }
  }
}
