package dev.polydb.jooq;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbFailureException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.DbTimeoutException;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.internal.Check;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;

/** What every session of one provider shares: backend, configuration, clock, root context. */
final class Core {
  final SqlBackend backend;
  final DbConfig config;
  final Clock clock;
  final DSLContext dsl;
  final Tables tables;
  final Ids ids;
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

  /** Runs a transaction on a pooled connection, through the backend's writer lock. */
  <T> T transaction(String operation, Function<DSLContext, T> work) {
    try {
      return backend.lockedWrite(() -> dsl.transactionResult(cfg -> work.apply(cfg.dsl())));
    } catch (RuntimeException e) {
      throw translate(e, operation);
    }
  }

  /**
   * Maps any failure onto the api's exceptions: the api's own pass through, database errors go
   * through the backend and then the SQLState classes every database shares.
   */
  RuntimeException translate(RuntimeException e, String operation) {
    if (e instanceof DbException || !(e instanceof DataAccessException)) {
      return e;
    }
    SQLException sql = SqlStates.find(e);
    if (sql == null) {
      return new DbFailureException(operation + " failed: " + e.getMessage(), null, e);
    }
    DbException mapped = backend.translate(sql, operation);
    if (mapped != null) {
      return mapped;
    }
    String state = sql.getSQLState();
    String message = operation + " failed: " + sql.getMessage();
    if (sql instanceof SQLTimeoutException || "57014".equals(state)) {
      return new DbTimeoutException(message, state, e);
    }
    if (SqlStates.isTransient(sql)) {
      return new DbTransientException(message, state, e);
    }
    if (state != null) {
      if (state.equals("23505")) {
        return new DbConflictException(message, state, e);
      }
      if (state.equals("23503")) {
        return new DbNotFoundException(message, state, e);
      }
      if (state.equals("25006") || state.equals("42501")) {
        return new DbReadOnlyException(message, state, e);
      }
    }
    return new DbFailureException(message, state, e);
  }
}
