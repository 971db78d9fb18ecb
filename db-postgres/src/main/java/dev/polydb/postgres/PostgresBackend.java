package dev.polydb.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.PoolStats;
import dev.polydb.api.TenantId;
import dev.polydb.jooq.Pools;
import dev.polydb.jooq.SqlBackend;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.migrations.Migrations;
import dev.polydb.migrations.TenantSchemas;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.JSON;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL through PgJDBC and a HikariCP pool. Each connection starts with the statement timeout
 * as a server setting (milliseconds, where jOOQ's query timeout has whole seconds), and read-only
 * providers start theirs with {@code default_transaction_read_only}, so the server itself refuses a
 * write. Flyway serializes concurrent migrations with an advisory lock.
 */
final class PostgresBackend implements SqlBackend {
  private static final int DEFAULT_POOL_SIZE = 10;

  /** libpq's query options (as platforms hand them out) and the PgJDBC properties they set. */
  private static final Map<String, String> PROPERTIES =
      Map.ofEntries(
          Map.entry("sslmode", "sslmode"),
          Map.entry("ssl", "ssl"),
          Map.entry("sslrootcert", "sslrootcert"),
          Map.entry("sslcert", "sslcert"),
          Map.entry("sslkey", "sslkey"),
          Map.entry("sslpassword", "sslpassword"),
          Map.entry("application_name", "ApplicationName"),
          Map.entry("applicationname", "ApplicationName"),
          Map.entry("connect_timeout", "connectTimeout"),
          Map.entry("connecttimeout", "connectTimeout"),
          Map.entry("sockettimeout", "socketTimeout"),
          Map.entry("target_session_attrs", "targetServerType"),
          Map.entry("targetservertype", "targetServerType"),
          Map.entry("currentschema", "currentSchema"),
          Map.entry("options", "options"));

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

  /** The pool the calls use: the library's own, or the application's. */
  private final DataSource pool;

  /** The library's own pool, which it closes; {@code null} for the application's. */
  private final HikariDataSource ownPool;

  private final String poolName;
  private final boolean sessionsHaveTimeout;
  private final DataSource direct;
  private final PostgresVectorIndex vectors;
  private final int efSearch;
  private final int probes;

  PostgresBackend(DatabaseUrl url, DbConfig config) {
    boolean readOnly = !config.mutationsEnabled();
    this.efSearch = config.vectorEfSearch();
    this.probes = config.vectorIvfflatProbes();
    this.vectors = new PostgresVectorIndex(efSearch, probes);
    this.direct = dataSource(url, readOnly ? "-c default_transaction_read_only=on" : "");
    PGSimpleDataSource pooled = plainDataSource(url, config);

    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(pooled);
    Pools.name(hikari, "postgres", config);
    hikari.setMaximumPoolSize(config.poolSize().orElse(DEFAULT_POOL_SIZE));
    // a caller waits for a free connection at most twice as long as for a statement
    hikari.setConnectionTimeout(Math.max(250, config.statementTimeout().toMillis() * 2));
    hikari.setReadOnly(readOnly);
    if (!startupOptionsApply(pooled, config)) {
      // a pooler that drops startup options (PgBouncer's ignore_startup_parameters) leaves the
      // session without the timeout the library relies on: each pooled connection sets it then
      hikari.setConnectionInitSql(
          "SET statement_timeout = " + config.statementTimeout().toMillis());
    }
    this.ownPool = Pools.start(hikari, "postgres database " + url.redacted());
    this.pool = ownPool;
    this.poolName = ownPool.getPoolName();
    this.sessionsHaveTimeout = true;
  }

  /**
   * On the application's own pool, which the library uses and never closes. Its sessions keep their
   * own settings: when their statement timeout is not the configured one, jOOQ's statements get a
   * client-side timeout and a warning says how to set the server's.
   */
  PostgresBackend(DataSource external, DbConfig config) {
    this.efSearch = config.vectorEfSearch();
    this.probes = config.vectorIvfflatProbes();
    this.vectors = new PostgresVectorIndex(efSearch, probes);
    this.pool = external;
    this.ownPool = null;
    this.direct = external;
    this.poolName =
        external instanceof HikariDataSource hikari && hikari.getPoolName() != null
            ? hikari.getPoolName()
            : Pools.uniqueName("postgres-external");
    try (Connection c = external.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")) {
      String wanted = Long.toString(config.statementTimeout().toMillis());
      String found = rs.next() ? rs.getString(1) : "";
      this.sessionsHaveTimeout = found.equals(wanted);
      if (!sessionsHaveTimeout) {
        LOG.warn(
            "the application's pool gives sessions statement_timeout={} ms where DB_STATEMENT_TIMEOUT"
                + " is {} ms: statements get a client-side timeout instead, and the library's own"
                + " fast paths none; set it on the pool (PgJDBC option options=-c"
                + " statement_timeout={}, or HikariCP's connectionInitSql)",
            found,
            wanted,
            wanted);
      }
    } catch (SQLException e) {
      throw Pools.openFailure(e, "postgres database (the application's pool)");
    }
  }

  /**
   * Whether a session of the data source starts with the configured statement timeout. A failure to
   * connect says nothing here: {@link Pools#start} reports it.
   */
  private static boolean startupOptionsApply(DataSource source, DbConfig config) {
    try (Connection c = source.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")) {
      return rs.next()
          && rs.getString(1).equals(Long.toString(config.statementTimeout().toMillis()));
    } catch (SQLException e) {
      return true;
    }
  }

  /**
   * A data source whose sessions start with the configuration's statement timeout, and read-only
   * when mutations are disabled, so that the server itself refuses a write.
   */
  static PGSimpleDataSource plainDataSource(DatabaseUrl url, DbConfig config) {
    return dataSource(
        url,
        "-c statement_timeout="
            + config.statementTimeout().toMillis()
            + (config.mutationsEnabled() ? "" : " -c default_transaction_read_only=on"));
  }

  /**
   * A data source for the URL's server, database and user, with the URL's options translated to
   * PgJDBC properties and {@code serverOptions} added to the session's startup options.
   */
  private static PGSimpleDataSource dataSource(DatabaseUrl url, String serverOptions) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    String host = url.host().orElseThrow();
    // PgJDBC reads its server names into a URL: an IPv6 literal goes back into brackets
    ds.setServerNames(new String[] {host.indexOf(':') >= 0 ? "[" + host + "]" : host});
    ds.setPortNumbers(new int[] {url.port()});
    ds.setDatabaseName(url.database().orElseThrow());
    url.user().ifPresent(ds::setUser);
    url.password().ifPresent(ds::setPassword);
    String options = serverOptions;
    for (Map.Entry<String, String> option : url.options().entrySet()) {
      String property = PROPERTIES.get(option.getKey().toLowerCase(Locale.ROOT));
      String value = option.getValue();
      if (property == null) {
        throw new DbConfigException(
            "database url option is not supported by db-postgres: "
                + option.getKey()
                + " in "
                + url.redacted());
      }
      switch (property) {
        case "options" -> options = (value + " " + options).strip();
        case "targetServerType" -> setProperty(ds, url, property, targetServerType(value));
        default -> setProperty(ds, url, property, value);
      }
    }
    if (!options.isEmpty()) {
      ds.setOptions(options);
    }
    return ds;
  }

  private static void setProperty(
      PGSimpleDataSource ds, DatabaseUrl url, String property, String value) {
    try {
      ds.setProperty(property, value);
    } catch (SQLException | RuntimeException e) {
      throw new DbConfigException(
          "database url option " + property + " is invalid in " + url.redacted(), e);
    }
  }

  /** libpq's {@code target_session_attrs} values, in PgJDBC's words. */
  private static String targetServerType(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "read-write", "primary" -> "primary";
      case "read-only", "standby" -> "secondary";
      case "prefer-standby" -> "preferSecondary";
      default -> value;
    };
  }

  @Override
  public String name() {
    return "postgres";
  }

  @Override
  public SQLDialect dialect() {
    return SQLDialect.POSTGRES;
  }

  @Override
  public DataSource dataSource() {
    return pool;
  }

  /**
   * Each session of the library's pool starts with {@code -c statement_timeout=…} (see
   * plainDataSource); the application's pool, when its sessions were found to carry the same.
   */
  @Override
  public boolean sessionsEnforceStatementTimeout() {
    return sessionsHaveTimeout;
  }

  @Override
  public DataSource migrationDataSource() {
    return direct;
  }

  @Override
  public Migrations.Dialect migrationDialect() {
    return Migrations.Dialect.POSTGRES;
  }

  @Override
  public DataType<Instant> timestampType() {
    return SQLDataType.INSTANT;
  }

  /** timestamptz, bound as {@link OffsetDateTime} and read in binary, with no text parsed. */
  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, OffsetDateTime.ofInstant(value, ZoneOffset.UTC));
    }
  }

  @Override
  public Instant getInstant(ResultSet row, int index) throws SQLException {
    OffsetDateTime value = row.getObject(index, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  @Override
  public DataType<String> jsonType() {
    // json keeps the text as sent; jOOQ casts the bound string to it
    return SQLDataType.JSON.asConvertedDataType(
        Converter.ofNullable(JSON.class, String.class, JSON::data, JSON::json));
  }

  @Override
  public VectorIndex vectorIndex() {
    return vectors;
  }

  /**
   * A no-key lock on the user's row (rows that merely reference the user are not blocked), so that
   * totals read under READ COMMITTED, such as the journal quota, cannot be overtaken by a
   * concurrent transaction of the same user.
   */
  @Override
  public String userLockClause() {
    return " FOR NO KEY UPDATE";
  }

  @Override
  public DbException translate(SQLException error, String operation) {
    String state = error.getSQLState();
    // lock_not_available: only a lock_timeout raises it, and the lock may be free on a retry
    if ("55P03".equals(state)) {
      return new DbTransientException(
          operation + " failed: a lock was not free in time (SQLState 55P03)", state, error);
    }
    // the constraint's name helps and holds no value; the server's detail line quotes the row
    String constraint =
        error instanceof PSQLException p && p.getServerErrorMessage() != null
            ? p.getServerErrorMessage().getConstraint()
            : null;
    if (constraint != null && "23505".equals(state)) {
      return new DbConflictException(
          operation + " failed: a unique key conflict on " + constraint + " (SQLState 23505)",
          state,
          error);
    }
    if (constraint != null && "23503".equals(state)) {
      return new DbNotFoundException(
          operation + " failed: a row " + constraint + " refers to is missing (SQLState 23503)",
          state,
          error);
    }
    // every other SQLState is one the shared code maps for all backends
    return null;
  }

  /**
   * The session is read-only (a standby, {@code default_transaction_read_only}) or the role may not
   * insert into the library's tables (a read-only role).
   */
  @Override
  public boolean refusesWrites(DSLContext ctx) {
    return Boolean.TRUE.equals(
        ctx.select(
                DSL.field(
                    "current_setting('transaction_read_only') = 'on'"
                        + " or not has_table_privilege('journal_entries', 'INSERT')",
                    Boolean.class))
            .fetchOne(0, Boolean.class));
  }

  /**
   * A registered, ready tenant: its schema, then the extension's, behind {@code pg_catalog}, which
   * comes first so that nothing another role made in {@code public} shadows a built-in.
   */
  @Override
  public SqlBackend tenant(TenantId id, String prefix) {
    TenantSchemas.Tenant tenant;
    String extensionSchema;
    try {
      tenant =
          TenantSchemas.find(direct, id)
              .filter(t -> t.state().equals("ready"))
              .orElseThrow(
                  () ->
                      new DbNotFoundException(
                          "no such tenant, or it is not ready: create it first (polydb tenants"
                              + " create)"));
      try (Connection c = direct.getConnection();
          Statement s = c.createStatement();
          ResultSet r =
              s.executeQuery(
                  "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                      + " ON n.oid = e.extnamespace WHERE e.extname = 'vector'")) {
        extensionSchema = r.next() ? r.getString(1) : "public";
      }
    } catch (SQLException e) {
      throw new DbTransientException(
          "cannot look up the tenant (SQLState " + e.getSQLState() + ")", e.getSQLState(), e);
    }
    String path = "pg_catalog, " + quote(tenant.schema()) + ", " + quote(extensionSchema);
    return new PostgresTenantBackend(
        this, tenant.schema(), path, new PostgresVectorIndex(efSearch, probes));
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  @Override
  public String poolName() {
    return poolName;
  }

  /** The figures of a HikariCP pool, the library's or the application's; zeros for another. */
  @Override
  public PoolStats poolStats() {
    return pool instanceof HikariDataSource hikari
        ? Pools.stats(hikari)
        : new PoolStats(0, 0, 0, 0, 0);
  }

  /** Closes the library's own pool; never the application's. */
  @Override
  public void close() {
    if (ownPool != null) {
      ownPool.close();
    }
  }
}
