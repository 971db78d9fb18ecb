package dev.polydb.jooq;

import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.PoolStats;
import dev.polydb.api.TenantId;
import dev.polydb.migrations.Migrations;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.SQLDialect;

/**
 * What a SQL backend tells the shared jOOQ implementation: its dialect, how it stores the types
 * that differ between databases, how its errors map onto the api's exceptions, and how it searches
 * vectors. Implemented by the backend modules; not for applications.
 */
public interface SqlBackend extends AutoCloseable {

  /**
   * The backend's name, e.g. {@code sqlite}.
   *
   * @return the name
   */
  String name();

  /**
   * The jOOQ dialect.
   *
   * @return the dialect
   */
  SQLDialect dialect();

  /**
   * The pooled data source the provider runs on.
   *
   * @return the data source
   */
  DataSource dataSource();

  /**
   * Where migrations run. A backend whose pooled connections carry a statement timeout gives a
   * source without one here, so that a migration building an index on a large table is not cut off.
   *
   * @return the data source, the pool by default
   */
  default DataSource migrationDataSource() {
    return dataSource();
  }

  /**
   * The schema the library's tables are in when it is not the connection's default: a tenant's on
   * PostgreSQL. Migrations run there.
   *
   * @return the schema, empty for the default
   */
  default Optional<String> migrationSchema() {
    return Optional.empty();
  }

  /**
   * A backend on one tenant's data, sharing what it can with this one (on PostgreSQL the pool).
   * Closing it leaves this backend open.
   *
   * @param id the tenant
   * @param prefix the schema prefix
   * @return the tenant's backend
   * @throws DbNotFoundException when there is no such tenant, or it is not ready
   * @throws DbConfigException when this backend has no tenants
   */
  default SqlBackend tenant(TenantId id, String prefix) {
    throw new DbConfigException(name() + " databases have no tenants");
  }

  /**
   * Whether every pooled session already enforces the configured statement timeout on the server
   * (Postgres: {@code statement_timeout} in its startup options). Then no statement gets a client
   * timer of its own, which with PgJDBC would wake a cancel-timer thread per statement.
   *
   * @return {@code true} when the server enforces it, {@code false} (the default) otherwise
   */
  default boolean sessionsEnforceStatementTimeout() {
    return false;
  }

  /**
   * Which folder of migrations applies.
   *
   * @return the dialect
   */
  Migrations.Dialect migrationDialect();

  /**
   * Applies pending migrations so that concurrent migrations of one database apply each version
   * once. Flyway locks on Postgres; a SQLite backend serializes them itself.
   *
   * @param migrations the migrations
   * @return what was applied
   * @throws org.flywaydb.core.api.FlywayException when a migration fails
   */
  default Migrations.Result migrate(Migrations migrations) {
    return migrations.migrate();
  }

  /**
   * How a timestamp column is stored.
   *
   * @return a data type read and bound as {@link Instant}
   */
  DataType<Instant> timestampType();

  /**
   * Binds a timestamp as {@link #timestampType()} stores it, for the statements hot paths run over
   * plain JDBC.
   *
   * @param statement the statement
   * @param index the parameter's index, from 1
   * @param value the value, or {@code null}
   * @throws SQLException as the driver does
   */
  void setInstant(PreparedStatement statement, int index, Instant value) throws SQLException;

  /**
   * Reads a timestamp column as {@link #timestampType()} stores it.
   *
   * @param row the result set, on a row
   * @param index the column's index, from 1
   * @return the value, or {@code null}
   * @throws SQLException as the driver does
   */
  Instant getInstant(ResultSet row, int index) throws SQLException;

  /**
   * How a JSON text column is stored; it must return the text byte for byte.
   *
   * @return a data type read and bound as {@link String}
   */
  DataType<String> jsonType();

  /**
   * The vector side of the backend.
   *
   * @return the vector index
   */
  VectorIndex vectorIndex();

  /**
   * Runs a write transaction. A backend may wrap it: SQLite counts its writers here (for the pool's
   * pending figure).
   *
   * @param transaction the transaction to run
   * @param <T> its result
   * @return its result
   */
  default <T> T write(Supplier<T> transaction) {
    return transaction.get();
  }

  /**
   * What ends a select of a user's row to lock it until the transaction ends, so that per-user
   * totals (the journal quota) are checked atomically and a user's subscription changes apply one
   * at a time. Only a backend whose write transactions are already serialized (SQLite) may lock
   * nothing: on an engine with concurrent writers, {@code ""} loses both guarantees.
   *
   * @return e.g. {@code " FOR NO KEY UPDATE"}, or {@code ""}
   */
  String userLockClause();

  /**
   * Whether the database refuses writes whatever the configuration says: a read-only file, mount or
   * session, a standby, a role without write grants. Asked by {@code health()}.
   *
   * @param ctx where to ask, on the health check's connection
   * @return {@code true} when a write would be refused
   */
  default boolean refusesWrites(DSLContext ctx) {
    return false;
  }

  /**
   * Maps a database error onto the api's exceptions.
   *
   * @param error the error
   * @param operation what was being done, for the message
   * @return the exception to throw, or {@code null} to fall back to the generic mapping
   */
  DbException translate(SQLException error, String operation);

  /**
   * The pool's figures.
   *
   * @return the figures
   */
  PoolStats poolStats();

  /**
   * The pool's name, unique in the process ({@link Pools#uniqueName}).
   *
   * @return the name
   */
  String poolName();

  /** Releases the pool and every file handle. */
  @Override
  void close();
}
