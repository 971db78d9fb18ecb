package dev.polydb.postgres;

import dev.polydb.api.DbException;
import dev.polydb.api.PoolStats;
import dev.polydb.jooq.SqlBackend;
import dev.polydb.jooq.VectorIndex;
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
 * One tenant of a PostgreSQL database: the database's backend, its pool shared, with connections
 * whose every transaction sets the tenant's search path ({@link TenantConnections}), and a vector
 * index of its own (its row counts are the tenant's). Closing it leaves the pool open.
 */
final class PostgresTenantBackend implements SqlBackend {
  private final PostgresBackend database;
  private final String schema;
  private final TenantConnections connections;
  private final PostgresVectorIndex vectors;

  PostgresTenantBackend(
      PostgresBackend database, String schema, String searchPath, PostgresVectorIndex vectors) {
    this.database = database;
    this.schema = schema;
    this.connections = new TenantConnections(database.dataSource(), searchPath);
    this.vectors = vectors;
  }

  @Override
  public String name() {
    return database.name();
  }

  @Override
  public SQLDialect dialect() {
    return database.dialect();
  }

  @Override
  public DataSource dataSource() {
    return connections;
  }

  @Override
  public DataSource migrationDataSource() {
    return database.migrationDataSource();
  }

  @Override
  public Optional<String> migrationSchema() {
    return Optional.of(schema);
  }

  @Override
  public boolean sessionsEnforceStatementTimeout() {
    return database.sessionsEnforceStatementTimeout();
  }

  @Override
  public Migrations.Dialect migrationDialect() {
    return database.migrationDialect();
  }

  @Override
  public DataType<Instant> timestampType() {
    return database.timestampType();
  }

  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    database.setInstant(statement, index, value);
  }

  @Override
  public Instant getInstant(ResultSet row, int index) throws SQLException {
    return database.getInstant(row, index);
  }

  @Override
  public DataType<String> jsonType() {
    return database.jsonType();
  }

  @Override
  public VectorIndex vectorIndex() {
    return vectors;
  }

  @Override
  public <T> T write(Supplier<T> transaction) {
    return database.write(transaction);
  }

  @Override
  public String userLockClause() {
    return database.userLockClause();
  }

  @Override
  public boolean refusesWrites(DSLContext ctx) {
    return database.refusesWrites(ctx);
  }

  @Override
  public DbException translate(SQLException error, String operation) {
    return database.translate(error, operation);
  }

  @Override
  public String poolName() {
    return database.poolName();
  }

  @Override
  public PoolStats poolStats() {
    return database.poolStats();
  }

  @Override
  public void close() {
    // the pool is the database's
  }
}
