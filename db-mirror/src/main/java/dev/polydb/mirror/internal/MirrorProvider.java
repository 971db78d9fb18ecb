package dev.polydb.mirror.internal;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.Health;
import dev.polydb.api.Journal;
import dev.polydb.api.RefreshTokens;
import dev.polydb.api.RevokedJtis;
import dev.polydb.api.Subscriptions;
import dev.polydb.api.TransactionWork;
import dev.polydb.api.Users;
import dev.polydb.api.VectorStore;
import dev.polydb.mirror.MirrorStatus;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SQLite provider whose writes are also replayed to Postgres. Every call goes to the SQLite
 * provider as it is; the triggers installed at open put each write in the log inside the writing
 * transaction, and the {@link Replayer} thread takes it from there.
 */
public final class MirrorProvider implements DbProvider {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorProvider.class);

  /** How long {@link #close()} lets the replayer send what is pending. */
  private static final Duration DRAIN = Duration.ofSeconds(5);

  private final DbConfig config;
  private final DbProvider primary;
  private final Replayer replayer;
  private final Thread thread;

  private MirrorProvider(DbConfig config, DbProvider primary, Replayer replayer) {
    this.config = config;
    this.primary = primary;
    this.replayer = replayer;
    this.thread = new Thread(replayer, "polydb-mirror");
    thread.setDaemon(true);
  }

  /**
   * Opens the SQLite provider, installs the log's triggers and starts the replayer. Postgres need
   * not be reachable: the mirror catches up when it is.
   *
   * @param config a configuration in mirror mode
   * @return the provider
   */
  public static MirrorProvider open(DbConfig config) {
    String mirrorUrl =
        config
            .mirrorUrl()
            .orElseThrow(() -> new DbConfigException("DB_MODE=mirror needs DB_MIRROR_URL"));
    DbConfig primaryConfig = config; // mode MIRROR: db-sqlite leaves the triggers in place
    DbConfig mirrorConfig =
        config.toBuilder().url(mirrorUrl).mirrorUrl(null).mode(null).poolSize(1).build();
    DbProvider primary = DbProviders.factoryFor(config.url()).open(primaryConfig);
    try {
      DataSource sqlite = DbProviders.factoryFor(config.url()).dataSource(primaryConfig);
      String source;
      try (Connection c = sqlite.getConnection()) {
        source = ChangeLog.install(c);
      } catch (SQLException e) {
        throw new DbTransientException(
            "could not install the mirror's triggers in the SQLite file (SQLState "
                + e.getSQLState()
                + ")",
            null,
            e);
      }
      DataSource postgres = DbProviders.factoryFor(mirrorUrl).dataSource(mirrorConfig);
      MirrorProvider provider =
          new MirrorProvider(config, primary, new Replayer(mirrorConfig, sqlite, postgres, source));
      provider.thread.start();
      LOG.info(
          "mirror mode: {} answers, every write is replayed to {}",
          config.redactedUrl(),
          mirrorConfig.redactedUrl());
      return provider;
    } catch (RuntimeException e) {
      primary.close();
      throw e;
    }
  }

  /**
   * How the replay stands.
   *
   * @return the status
   */
  public MirrorStatus status() {
    return replayer.status();
  }

  @Override
  public Users users() {
    return primary.users();
  }

  @Override
  public RefreshTokens refreshTokens() {
    return primary.refreshTokens();
  }

  @Override
  public Subscriptions subscriptions() {
    return primary.subscriptions();
  }

  @Override
  public Journal journal() {
    return primary.journal();
  }

  @Override
  public RevokedJtis jtis() {
    return primary.jtis();
  }

  @Override
  public VectorStore vectors() {
    return primary.vectors();
  }

  @Override
  public <T> T inTransaction(TransactionWork<T> work) {
    return primary.inTransaction(work);
  }

  /** Refused: a tenant's SQLite file has no log, so its writes would not reach the mirror. */
  @Override
  public DbProvider tenant(String tenantId) {
    throw new DbConfigException(
        "mirror mode does not mirror tenants: use DB_MODE=sqlite or DB_MODE=postgres for tenants");
  }

  /** The primary's health, with the mirror's problem when it has one. */
  @Override
  public Health health() {
    Health health = primary.health();
    Optional<String> problem = replayer.status().problem().map(p -> "mirror: " + p);
    if (problem.isEmpty() || health.problem().isPresent()) {
      return health;
    }
    return new Health(
        health.backend(),
        health.reachable(),
        health.latency(),
        health.schemaVersion(),
        health.readOnly(),
        health.pool(),
        problem);
  }

  @Override
  public DbConfig config() {
    return config;
  }

  @Override
  public String backend() {
    return "mirror";
  }

  /**
   * Gives the replayer a few seconds to send what is pending (what it cannot send stays in the
   * SQLite file for the next open), then closes the primary.
   */
  @Override
  public void close() {
    long deadline = System.nanoTime() + DRAIN.toNanos();
    while (thread.isAlive()
        && System.nanoTime() < deadline
        && replayer.status().state() == MirrorStatus.State.REPLAYING
        && !replayer.status().caughtUp()) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    replayer.stop();
    try {
      thread.join(DRAIN.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    primary.close();
  }
}
