package dev.polydb.jooq;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbMetrics;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.PoolStats;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/** HikariCP as every backend uses it: started with errors the caller can act on, and measured. */
public final class Pools {
  private static final AtomicInteger POOLS = new AtomicInteger();

  private Pools() {}

  /**
   * Classifies a failure to reach a pool the library did not make: a configuration error or a
   * transient one, as for its own ({@link #start}).
   *
   * @param e the failure
   * @param what what was being opened, with any password already redacted
   * @return the exception to throw
   */
  public static DbException openFailure(Throwable e, String what) {
    return Errors.openFailure(e, what);
  }

  /**
   * A pool name no other pool of this process has, so that two providers do not collide in JMX or
   * in metrics: {@code polydb-postgres-1}, {@code polydb-postgres-2}, ...
   *
   * @param backend the backend's name
   * @return the name
   */
  public static String uniqueName(String backend) {
    return "polydb-" + backend + "-" + POOLS.incrementAndGet();
  }

  /**
   * Names a pool ({@link #uniqueName}) and, when the configured metrics offer HikariCP's tracker
   * ({@link DbMetrics#extension}), hands it to the pool.
   *
   * @param hikari the pool's configuration
   * @param backend the backend's name
   * @param config the provider's configuration
   */
  public static void name(HikariConfig hikari, String backend, DbConfig config) {
    hikari.setPoolName(uniqueName(backend));
    config
        .metrics()
        .extension(MetricsTrackerFactory.class)
        .ifPresent(hikari::setMetricsTrackerFactory);
  }

  /**
   * Starts a pool; Hikari opens its first connection at once, so a wrong address or password fails
   * here rather than on the first call.
   *
   * @param config the pool's configuration
   * @param what what is being opened, for the message, e.g. {@code postgres database <url>}, with
   *     the password already redacted
   * @return the pool
   * @throws DbTransientException when the server cannot be reached or cannot take a connection now
   *     (refused or lost connection, a server starting up or shutting down, too many connections):
   *     retrying may help
   * @throws DbConfigException for an unknown host, a refused login, a missing database or any other
   *     failure a retry will not fix
   */
  public static HikariDataSource start(HikariConfig config, String what) {
    try {
      // one connection first, straight from the data source: a refused one fails now, with the
      // driver's own exception, where Hikari's fail-fast check would first sleep a second
      DataSource source = config.getDataSource();
      if (source != null) {
        source.getConnection().close();
      }
      return new HikariDataSource(config);
    } catch (SQLException | RuntimeException e) {
      throw Errors.openFailure(e, what);
    }
  }

  /**
   * The pool's figures, all zero but the maximum before the pool has started.
   *
   * @param pool the pool
   * @return the figures
   */
  public static PoolStats stats(HikariDataSource pool) {
    HikariPoolMXBean bean = pool.getHikariPoolMXBean();
    if (bean == null) {
      return new PoolStats(0, 0, 0, 0, pool.getMaximumPoolSize());
    }
    return new PoolStats(
        bean.getActiveConnections(),
        bean.getIdleConnections(),
        bean.getThreadsAwaitingConnection(),
        bean.getTotalConnections(),
        pool.getMaximumPoolSize());
  }
}
