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
import dev.polydb.jooq.Pools;
import dev.polydb.jooq.SqlBackend;
import dev.polydb.jooq.VectorIndex;
import dev.polydb.migrations.Migrations;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.sql.DataSource;
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
 * source properties. SQLite has one writer: write transactions queue on a lock in this process (and
 * on the busy timeout across processes) rather than failing with SQLITE_BUSY halfway through.
 */
final class SqliteBackend implements SqlBackend {
  private static final int DEFAULT_POOL_SIZE = 4;
  private static final ConcurrentHashMap<Path, ReentrantLock> MIGRATION_LOCKS =
      new ConcurrentHashMap<>();

  private final Path file;
  private final HikariDataSource pool;
  private final ReentrantLock writer = new ReentrantLock(true);
  private final Duration writerWait;
  private final SqliteVectorIndex vectors = new SqliteVectorIndex();

  SqliteBackend(DatabaseUrl url, DbConfig config) {
    this.file = url.sqlitePath().map(p -> p.toAbsolutePath().normalize()).orElse(null);
    boolean readOnly = !config.mutationsEnabled();
    this.writerWait = config.statementTimeout().multipliedBy(2);
    if (file != null) {
      prepareFile(config, readOnly);
    }
    SQLiteConfig sqlite = new SQLiteConfig();
    sqlite.enforceForeignKeys(true);
    sqlite.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, config.statementTimeout().toMillis()));
    sqlite.setReadOnly(readOnly);
    if (!readOnly) {
      sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
      if (file != null) {
        sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
        sqlite.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
      }
    }
    SQLiteDataSource source = new SQLiteDataSource(sqlite);
    source.setUrl(file == null ? "jdbc:sqlite::memory:" : "jdbc:sqlite:" + file);

    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(source);
    hikari.setPoolName("polydb-sqlite");
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
    this.pool = Pools.start(hikari, "sqlite database " + url.redacted());
  }

  private void prepareFile(DbConfig config, boolean readOnly) {
    if (readOnly) {
      if (!Files.exists(file)) {
        throw new DbConfigException(
            "database schema is behind: "
                + file
                + " does not exist; migrate it first: open it once with mutations enabled and"
                + " DB_MIGRATE_ON_OPEN=true, or call Migrations.migrate()");
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
          "cannot create the folder of sqlite database " + config.redactedUrl() + ": " + e, e);
    }
  }

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public SQLDialect dialect() {
    return SQLDialect.SQLITE;
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
   * Flyway cannot lock a SQLite database, so migrations are serialized here: a lock per file in
   * this process, and a lock file beside the database against other processes. (Not the database
   * file itself: POSIX locks belong to the process, and closing our channel would drop SQLite's.)
   */
  @Override
  public <T> T migrationLock(Supplier<T> migration) {
    if (file == null) {
      return migration.get();
    }
    ReentrantLock local = MIGRATION_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    local.lock();
    try (FileChannel channel =
            FileChannel.open(
                file.resolveSibling(file.getFileName() + ".migrate-lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock held = channel.lock()) {
      if (!held.isValid()) {
        throw new IllegalStateException("migration lock was lost");
      }
      return migration.get();
    } catch (IOException e) {
      throw new DbConfigException("cannot lock " + file + " for migration: " + e, e);
    } finally {
      local.unlock();
    }
  }

  @Override
  public DataType<Instant> timestampType() {
    // epoch milliseconds in an INTEGER column: exact, sortable, and what SQLite compares fastest
    return SQLDataType.BIGINT.asConvertedDataType(
        Converter.ofNullable(
            Long.class, Instant.class, Instant::ofEpochMilli, Instant::toEpochMilli));
  }

  @Override
  public DataType<String> jsonType() {
    return SQLDataType.CLOB;
  }

  @Override
  public VectorIndex vectorIndex() {
    return vectors;
  }

  @Override
  public <T> T lockedWrite(Supplier<T> transaction) {
    try {
      if (!writer.tryLock(writerWait.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new DbTransientException(
            "sqlite write lock not free after "
                + writerWait.toMillis()
                + "ms (writers waiting="
                + writer.getQueueLength()
                + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbTransientException(
          "interrupted while waiting for the sqlite write lock", null, e);
    }
    try {
      return transaction.get();
    } finally {
      writer.unlock();
    }
  }

  @Override
  public void lockUser(DSLContext tx, String userId) {
    // write transactions begin IMMEDIATE: the whole database is already locked for writing
  }

  @Override
  public DbException translate(SQLException error, String operation) {
    // the extended code tells a unique key from a foreign key; getErrorCode() has the primary only
    int code = error instanceof SQLiteException e ? e.getResultCode().code : error.getErrorCode();
    int primary = code & 0xFF;
    String message = operation + " failed: " + error.getMessage();
    return switch (code) {
      case 2067, 1555 -> new DbConflictException(message, error.getSQLState(), error);
      case 787 -> new DbNotFoundException(message, error.getSQLState(), error);
      default ->
          switch (primary) {
            case 5, 6 -> new DbTransientException(message, error.getSQLState(), error);
            case 8 -> new DbReadOnlyException(message, error.getSQLState(), error);
            case 9 -> new DbTimeoutException(message, error.getSQLState(), error);
            default -> null;
          };
    };
  }

  @Override
  public PoolStats poolStats() {
    return Pools.stats(pool);
  }

  @Override
  public void close() {
    pool.close();
  }
}
