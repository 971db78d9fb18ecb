package dev.polydb.jooq;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbOutcomeUnknownException;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.VectorSettings;
import dev.polydb.api.internal.Check;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConnectionProvider;

/** What every session of one provider shares: backend, configuration, clock, root context. */
final class Core {
  final SqlBackend backend;
  final DbConfig config;
  final Clock clock;
  final DSLContext dsl;
  final Tables tables;
  final Ids ids;

  /** The hot paths' statements, rendered once per provider (see {@link Session#sql}). */
  final Map<String, String> statements = new ConcurrentHashMap<>();

  /**
   * The vector store's settings as a search first read them. Dimension and metric are fixed when
   * the database is migrated, so searches need not read them again; the model, claimed later, is
   * read where it matters.
   */
  volatile VectorSettings searchSettings;

  private volatile boolean closed;

  Core(SqlBackend backend, DbConfig config, DSLContext dsl, int dimension) {
    this.backend = backend;
    this.config = config;
    this.clock = config.clock();
    this.dsl = dsl;
    this.tables = new Tables(backend, dimension);
    this.ids = new Ids(clock);
  }

  /**
   * Now, at the millisecond precision both backends store.
   *
   * @throws DbConfigException when the configured clock has left the range every backend stores
   */
  Instant now() {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    if (now.isBefore(Check.EARLIEST) || now.isAfter(Check.LATEST)) {
      throw new DbConfigException(
          "the configured clock reads "
              + now
              + ", outside the range every backend stores ("
              + Check.EARLIEST
              + " to "
              + Check.LATEST
              + ")");
    }
    return now;
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(backend.name() + " provider is closed");
    }
  }

  boolean isClosed() {
    return closed;
  }

  boolean markClosed() {
    boolean was = closed;
    closed = true;
    return !was;
  }

  void requireMutations(String operation) {
    if (!config.mutationsEnabled()) {
      throw new DbReadOnlyException(
          operation + " refused: mutations are disabled (ENABLE_MUTATIONS=false)");
    }
  }

  /**
   * Runs a transaction on a pooled connection, through the backend's writer lock. The connection is
   * taken from the pool before the lock and given back after it, so that the lock covers the
   * transaction only: a writer waiting for a connection holds up no other writer. A connection lost
   * while committing leaves the outcome unknown: that is {@link DbOutcomeUnknownException}, never
   * the "safe to retry" {@link dev.polydb.api.DbTransientException}.
   */
  <T> T transaction(String operation, Function<DSLContext, T> work) {
    AtomicBoolean committing = new AtomicBoolean();
    try (Connection c = connection(operation)) {
      DSLContext on = DSL.using(dsl.configuration().derive(new DefaultConnectionProvider(c)));
      return backend.write(
          () ->
              on.transactionResult(
                  cfg -> {
                    T result = work.apply(cfg.dsl());
                    committing.set(true); // jOOQ commits as soon as this returns
                    return result;
                  }));
    } catch (SQLException e) {
      // only closing the connection throws it here: the transaction had ended
      throw translate(Sql.wrap(e), operation);
    } catch (RuntimeException e) {
      throw outcome(e, committing.get(), operation);
    }
  }

  /**
   * Runs one call's write transaction as {@link #transaction} does, with plain JDBC around it
   * instead of jOOQ's transaction: about a tenth of the client time a small write costs, which
   * counts when writers queue behind SQLite's lock. The work runs no nested transaction (a jOOQ
   * savepoint needs jOOQ's own transaction around it); {@code inTransaction} goes through {@link
   * #transaction}.
   */
  <T> T write(String operation, Function<DSLContext, T> work) {
    AtomicBoolean committing = new AtomicBoolean();
    try (Connection c = connection(operation)) {
      DSLContext on = DSL.using(dsl.configuration().derive(new DefaultConnectionProvider(c)));
      return backend.write(
          () -> {
            try {
              begin(c);
              T result;
              try {
                result = work.apply(on);
              } catch (RuntimeException e) {
                rollback(c, e);
                throw e;
              }
              committing.set(true);
              c.commit();
              // on a failure above, the pool rolls back and restores autocommit on return
              c.setAutoCommit(true);
              return result;
            } catch (SQLException e) {
              throw Sql.wrap(e);
            }
          });
    } catch (SQLException e) {
      throw translate(Sql.wrap(e), operation);
    } catch (RuntimeException e) {
      throw outcome(e, committing.get(), operation);
    }
  }

  /**
   * Ends autocommit. A driver may fail after it changed its mode (sqlite-jdbc, whose BEGIN
   * IMMEDIATE finds the database busy); the pool then believes autocommit is still on and would
   * hand the connection out as it is: it is put back first.
   */
  private static void begin(Connection c) throws SQLException {
    try {
      c.setAutoCommit(false);
    } catch (SQLException e) {
      try {
        c.setAutoCommit(true);
      } catch (SQLException restore) {
        e.addSuppressed(restore);
      }
      throw e;
    }
  }

  private static void rollback(Connection c, RuntimeException cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * The failure of a transaction as the caller sees it: unknown if the connection was lost while
   * committing, else translated.
   */
  private RuntimeException outcome(RuntimeException e, boolean committing, String operation) {
    SQLException sql = committing ? SqlStates.find(e) : null;
    if (sql != null && SqlStates.isConnectionLoss(sql)) {
      return new DbOutcomeUnknownException(
          Errors.message(
              operation,
              "the connection was lost while committing, so it may or may not have been"
                  + " applied; retry only an idempotent write, else read back first",
              sql),
          sql.getSQLState(),
          e);
    }
    return translate(e, operation);
  }

  /**
   * Runs a write of one statement with autocommit, on a pooled connection taken before the
   * backend's writer lock: one round trip where a transaction takes two. A connection lost once the
   * statement may have been sent leaves the outcome unknown.
   */
  <T> T autocommit(String operation, Sql.Work<T> work) {
    try (Connection c = connection(operation)) {
      return backend.write(
          () -> {
            try {
              return work.run(c);
            } catch (SQLException e) {
              if (SqlStates.isConnectionLoss(e)) {
                throw new DbOutcomeUnknownException(
                    Errors.message(
                        operation,
                        "the connection was lost after the statement was sent, so it may or may"
                            + " not have been applied; retry only an idempotent write, else read"
                            + " back first",
                        e),
                    e.getSQLState(),
                    e);
              }
              throw Sql.wrap(e);
            }
          });
    } catch (SQLException e) {
      throw translate(Sql.wrap(e), operation);
    } catch (RuntimeException e) {
      throw translate(e, operation);
    }
  }

  /** A pooled connection; failing to get one is translated as any failure of the operation. */
  private Connection connection(String operation) {
    try {
      return backend.dataSource().getConnection();
    } catch (SQLException e) {
      throw translate(Sql.wrap(e), operation);
    }
  }

  /** Maps any failure onto the api's exceptions (see {@link Errors#translate}). */
  RuntimeException translate(RuntimeException e, String operation) {
    return Errors.translate(backend, e, operation);
  }
}
