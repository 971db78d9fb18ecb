package dev.polydb.sqlite;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.DbTimeoutException;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.PoolStats;
import dev.polydb.api.TenantId;
import dev.polydb.jooq.JooqProvider;
import dev.polydb.jooq.Pools;
import dev.polydb.jooq.SqlBackend;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.migrations.Migrations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.jooq.Converter;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.SQLDialect;
import org.jooq.impl.SQLDataType;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteException;

/**
 * SQLite through sqlite-jdbc and a small HikariCP pool. Every connection gets WAL, a busy timeout
 * equal to the statement timeout, foreign keys and {@code BEGIN IMMEDIATE} transactions as data
 * source properties. SQLite has one writer: a write transaction takes the file's lock when it
 * begins, and waits for it on the busy timeout (in this process as across processes) rather than
 * failing with SQLITE_BUSY halfway through.
 */
final class SqliteBackend implements SqlBackend {
  private static final int DEFAULT_POOL_SIZE = 4;
  private static final int MIGRATION_ATTEMPTS = 10;
  private static final int SQLITE_BUSY = 5;
  private static final ConcurrentHashMap<Path, ReentrantLock> MIGRATION_LOCKS =
      new ConcurrentHashMap<>();

  private final Path file;
  private final DbConfig config;
  private final HikariDataSource pool;

  /** Write transactions running or waiting for the file, in this process. */
  private final AtomicInteger writers = new AtomicInteger();

  private final Duration migrationWait;
  private final SqliteVectorIndex vectors;

  SqliteBackend(DatabaseUrl url, DbConfig config) {
    this(url, config, new SqliteVectorIndex());
  }

  /** A backend whose vector search is {@code vectors}: a test's, with a kernel of its own. */
  SqliteBackend(DatabaseUrl url, DbConfig config, SqliteVectorIndex vectors) {
    this.vectors = vectors;
    this.file = url.sqlitePath().map(p -> p.toAbsolutePath().normalize()).orElse(null);
    this.config = config;
    boolean readOnly = !config.mutationsEnabled();
    this.migrationWait = config.statementTimeout().multipliedBy(2);
    boolean immutable = false;
    if (file != null) {
      prepareFile(file, config, readOnly);
      immutable = readOnly && cannotChange(file);
    }
    SQLiteConfig sqlite = connectionSettings(config);
    if (!readOnly) {
      sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
      if (file != null) {
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
      }
    }
    SQLiteDataSource source = new SQLiteDataSource(sqlite);
    if (file == null) {
      source.setUrl("jdbc:sqlite::memory:");
    } else if (immutable) {
      // a WAL database needs its -shm file, which a folder nobody may write cannot hold: a file
      // that cannot change is read without locks or -shm (SQLite's immutable URI parameter)
      source.setUrl("jdbc:sqlite:" + file.toUri() + "?immutable=1");
    } else {
      source.setUrl("jdbc:sqlite:" + file);
    }

    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(source);
    Pools.name(hikari, "sqlite", config);
    // sqlite-jdbc fixes read-only when it opens a connection; Hikari must ask for the same
    hikari.setReadOnly(readOnly);
    hikari.setConnectionTimeout(Math.max(250, config.statementTimeout().toMillis() * 2));
    if (file == null) {
      // every connection to :memory: is a database of its own: keep exactly one, for ever
      hikari.setMaximumPoolSize(1);
      hikari.setMinimumIdle(1);
      hikari.setMaxLifetime(0);
      hikari.setIdleTimeout(0);
    } else {
      hikari.setMaximumPoolSize(config.poolSize().orElse(DEFAULT_POOL_SIZE));
      hikari.setMinimumIdle(1);
    }
    this.pool = startPool(hikari, "sqlite database " + url.redacted());
  }

  /**
   * Starts the pool. A new file's first connections switch it to WAL, which takes the file's lock
   * for a moment, before sqlite-jdbc has applied the busy timeout: providers opening one new file
   * at once take turns in this process, and one that still finds the file busy (another process)
   * tries again, for at most the writer's wait.
   */
  private HikariDataSource startPool(HikariConfig hikari, String what) {
    if (file == null) {
      return Pools.start(hikari, what);
    }
    ReentrantLock local = MIGRATION_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    long deadline = System.nanoTime() + migrationWait.toNanos();
    local.lock();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          return Pools.start(hikari, what);
        } catch (DbException e) {
          if (!busy(e) || System.nanoTime() > deadline) {
            throw e;
          }
          sleepBeforeRetry(attempt);
        }
      }
    } finally {
      local.unlock();
    }
  }

  private static boolean busy(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLiteException s && (s.getResultCode().code & 0xFF) == SQLITE_BUSY) {
        return true;
      }
    }
    return false;
  }

  /** Foreign keys on, the statement timeout as busy timeout, read-only when mutations are off. */
  private static SQLiteConfig connectionSettings(DbConfig config) {
    SQLiteConfig sqlite = new SQLiteConfig();
    sqlite.enforceForeignKeys(true);
    sqlite.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, config.statementTimeout().toMillis()));
    sqlite.setReadOnly(!config.mutationsEnabled());
    return sqlite;
  }

  /**
   * A data source for tools: the provider's connection settings, but the file's journal mode left
   * as it is, and a file that does not exist refused when mutations are off rather than created.
   */
  static SQLiteDataSource plainDataSource(DatabaseUrl url, DbConfig config) {
    SQLiteDataSource source = new SQLiteDataSource(connectionSettings(config));
    Path path = url.sqlitePath().map(p -> p.toAbsolutePath().normalize()).orElse(null);
    if (path == null) {
      source.setUrl("jdbc:sqlite::memory:");
    } else {
      prepareFile(path, config, !config.mutationsEnabled());
      source.setUrl("jdbc:sqlite:" + path);
    }
    return source;
  }

  private static void prepareFile(Path file, DbConfig config, boolean readOnly) {
    if (readOnly) {
      if (!Files.exists(file)) {
        throw new DbConfigException(
            "database schema is behind: " + file + " does not exist; " + JooqProvider.MIGRATE_HINT);
      }
      return;
    }
    try {
      Path parent = file.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new DbConfigException(
          "cannot create the folder of sqlite database "
              + config.redactedUrl()
              + ": "
              + e.getClass().getSimpleName(),
          e);
    }
  }

  /**
   * Whether nothing can change the file while it is open: it lies on a read-only file system, or
   * neither it nor its folder grants anyone write permission, and it has no write-ahead log waiting
   * to be read (an immutable open would not see it).
   */
  private static boolean cannotChange(Path file) {
    try {
      Path wal = file.resolveSibling(file.getFileName() + "-wal");
      if (Files.exists(wal) && Files.size(wal) > 0) {
        return false;
      }
      if (Files.getFileStore(file).isReadOnly()) {
        return true;
      }
      Path folder = file.getParent();
      return folder != null && nobodyMayWrite(file) && nobodyMayWrite(folder);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static boolean nobodyMayWrite(Path path) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
    return !permissions.contains(PosixFilePermission.OWNER_WRITE)
        && !permissions.contains(PosixFilePermission.GROUP_WRITE)
        && !permissions.contains(PosixFilePermission.OTHERS_WRITE);
  }

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public SQLDialect dialect() {
    return SQLDialect.SQLITE;
  }

  /**
   * A tenant: the file {@code <file>.tenants/<id>.db}, made by {@code polydb tenants create}, on a
   * pool of its own.
   */
  @Override
  public SqlBackend tenant(TenantId id, String prefix) {
    if (file == null) {
      throw new DbConfigException("an in-memory SQLite database has no tenants (they are files)");
    }
    Path tenant = file.resolveSibling(file.getFileName() + ".tenants").resolve(id.value() + ".db");
    if (!Files.isRegularFile(tenant)) {
      throw new DbNotFoundException(
          "no such tenant: create it first (polydb tenants create), its file is " + tenant);
    }
    String url = "sqlite:" + tenant;
    return new SqliteBackend(
        DatabaseUrl.parse(url), config.toBuilder().url(url).tenant(null).build());
  }

  @Override
  public DataSource dataSource() {
    return pool;
  }

  @Override
  public Migrations.Dialect migrationDialect() {
    return Migrations.Dialect.SQLITE;
  }

  /**
   * Flyway cannot lock a SQLite database. In this process a lock per file serializes migrations.
   * Across processes there is no lock file (it would outlive the process and, created by one OS
   * user, shut out another): each migration is one SQLite transaction with its history row, so a
   * process that loses the race fails on tables the winner created and rolls back whole. It then
   * finds the schema current and is done, or tries again while another process still migrates.
   */
  @Override
  public Migrations.Result migrate(Migrations migrations) {
    if (file == null) {
      return migrations.migrate();
    }
    ReentrantLock local = MIGRATION_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    local.lock();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          return migrations.migrate();
        } catch (FlywayException e) {
          if (!migrations.isBehind()) {
            return new Migrations.Result(0, migrations.currentVersion().orElse("0"));
          }
          if (attempt == MIGRATION_ATTEMPTS) {
            throw e;
          }
          sleepBeforeRetry(attempt);
        }
      }
    } finally {
      local.unlock();
    }
  }

  private static void sleepBeforeRetry(int attempt) {
    try {
      Thread.sleep(50L * attempt + ThreadLocalRandom.current().nextInt(50));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbTransientException("interrupted while waiting to migrate", null, e);
    }
  }

  /**
   * The database refuses writes when it was opened read-only, or when the file or its folder (for
   * the write-ahead log) may not be written by this process.
   */
  @Override
  public boolean refusesWrites(DSLContext ctx) {
    if (file == null) {
      return false;
    }
    Path folder = file.getParent();
    return pool.isReadOnly()
        || !Files.isWritable(file)
        || (folder != null && !Files.isWritable(folder));
  }

  @Override
  public DataType<Instant> timestampType() {
    // epoch milliseconds in an INTEGER column: exact, sortable, and what SQLite compares fastest
    return SQLDataType.BIGINT.asConvertedDataType(
        Converter.ofNullable(
            Long.class, Instant.class, Instant::ofEpochMilli, Instant::toEpochMilli));
  }

  /** Epoch milliseconds in an INTEGER column. */
  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.BIGINT);
    } else {
      statement.setLong(index, value.toEpochMilli());
    }
  }

  @Override
  public Instant getInstant(ResultSet row, int index) throws SQLException {
    long millis = row.getLong(index);
    return row.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  @Override
  public DataType<String> jsonType() {
    return SQLDataType.CLOB;
  }

  @Override
  public VectorIndex vectorIndex() {
    return vectors;
  }

  /**
   * Runs a write transaction, counting it while it runs. Writers are not queued in this process:
   * each transaction begins IMMEDIATE, and SQLite's busy timeout makes a writer wait for the one
   * that holds the file, in this process as in any other. A fair lock of the process's own in front
   * of that was measured (docs/performance.md, "SQLite writers"): handing it to a parked thread
   * cost a fifth to a quarter of the write throughput on two cores, and bought nothing the busy
   * timeout does not give.
   */
  @Override
  public <T> T write(Supplier<T> transaction) {
    writers.incrementAndGet();
    try {
      return transaction.get();
    } finally {
      writers.decrementAndGet();
    }
  }

  @Override
  public String userLockClause() {
    // write transactions begin IMMEDIATE: the whole database is already locked for writing
    return "";
  }

  @Override
  public DbException translate(SQLException error, String operation) {
    // the extended code tells a unique key from a foreign key; getErrorCode() has the primary only
    int code = error instanceof SQLiteException e ? e.getResultCode().code : error.getErrorCode();
    int primary = code & 0xFF;
    String state = error.getSQLState();
    return switch (code) {
      case 2067, 1555 ->
          new DbConflictException(message(operation, "a unique key conflict", code), state, error);
      case 787 ->
          new DbNotFoundException(
              message(operation, "a referenced row is missing", code), state, error);
      default ->
          switch (primary) {
            case 5, 6 ->
                new DbTransientException(
                    message(operation, "the database is locked by another writer", code),
                    state,
                    error);
            case 8 ->
                new DbReadOnlyException(
                    message(operation, "the database file may not be written", code), state, error);
            case 9 ->
                new DbTimeoutException(
                    message(operation, "the statement ran past the statement timeout", code),
                    state,
                    error);
            default -> null;
          };
    };
  }

  /** Without the driver's message, which may quote values; the code is SQLite's extended one. */
  private static String message(String operation, String what, int code) {
    return operation + " failed: " + what + " (SQLite error " + code + ")";
  }

  @Override
  public String poolName() {
    return pool.getPoolName();
  }

  /** The pool's figures; pending counts the writers waiting for the file too. */
  @Override
  public PoolStats poolStats() {
    PoolStats stats = Pools.stats(pool);
    return new PoolStats(
        stats.active(),
        stats.idle(),
        stats.pending() + Math.max(0, writers.get() - 1),
        stats.total(),
        stats.max());
  }

  @Override
  public void close() {
    pool.close();
  }
}
