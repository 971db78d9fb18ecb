package dev.polydb.jooq;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.Health;
import dev.polydb.api.Journal;
import dev.polydb.api.PoolStats;
import dev.polydb.api.RefreshTokens;
import dev.polydb.api.RevokedJtis;
import dev.polydb.api.Subscriptions;
import dev.polydb.api.TransactionWork;
import dev.polydb.api.Users;
import dev.polydb.api.VectorStore;
import dev.polydb.migrations.Migrations;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.flywaydb.core.api.FlywayException;
import org.jooq.DSLContext;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DbProvider} every SQL backend shares: jOOQ builds each statement for the backend's
 * dialect, and the backend supplies what differs. Backend modules create it with {@link #open};
 * applications get it through {@code DbProviders}.
 */
public final class JooqProvider implements DbProvider {
  private static final Logger LOG = LoggerFactory.getLogger(JooqProvider.class);

  private final Core core;
  private final Session session;
  private final JtiCache jtiCache;
  private final Users users;
  private final RefreshTokens tokens;
  private final Subscriptions subscriptions;
  private final Journal journal;
  private final RevokedJtis jtis;
  private final VectorStore vectors;

  private JooqProvider(Core core, Session session, JtiCache jtiCache) {
    this.core = core;
    this.session = session;
    this.jtiCache = jtiCache;
    this.users = new JooqUsers(session, this::userDeleted);
    this.tokens = new JooqRefreshTokens(session);
    this.subscriptions = new JooqSubscriptions(session);
    this.journal = new JooqJournal(session);
    this.jtis = new JooqRevokedJtis(session, jtiCache);
    this.vectors = new JooqVectorStore(session);
  }

  /**
   * Opens a provider on a backend: migrates the schema when the configuration asks for it, or
   * checks that it is current, and reads the vector settings. On failure the backend is closed.
   *
   * @param backend the backend, which owns the pool
   * @param config the configuration
   * @return the provider; closing it closes the backend
   * @throws DbConfigException when the schema is behind and may not be migrated, a migration fails,
   *     or a tenant is configured (not supported yet)
   */
  public static DbProvider open(SqlBackend backend, DbConfig config) {
    try {
      // a tenant must never fall back silently to the shared data (SPEC §12)
      config
          .tenant()
          .ifPresent(
              tenant -> {
                throw new DbConfigException(
                    "tenant is not supported yet: "
                        + tenant
                        + "; unset DB_TENANT (tenants arrive with a later release)");
              });
      Migrations migrations =
          Migrations.of(
              backend.migrationDataSource(),
              backend.migrationDialect(),
              new Migrations.Settings(
                  config.vectorDimension(),
                  config.vectorMetric().name().toLowerCase(Locale.ROOT),
                  config.embeddingModel(),
                  config.vectorIndex(),
                  config.vectorIvfflatLists()));
      prepareSchema(backend, config, migrations);
      DSLContext dsl =
          DSL.using(
              backend.dataSource(),
              backend.dialect(),
              new Settings()
                  // JDBC's query timeout has whole seconds: rounded up, it never cancels a
                  // statement before the configured timeout (1.5 s down to 1 s would); a backend
                  // that can enforce milliseconds does so itself and is the one that fires
                  .withQueryTimeout((int) ((config.statementTimeout().toMillis() + 999) / 1000))
                  .withExecuteLogging(false));
      Core core = new Core(backend, config, dsl, readDimension(dsl));
      return new JooqProvider(core, Session.pooled(core), new JtiCache(config));
    } catch (RuntimeException | Error e) {
      try {
        backend.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static void prepareSchema(SqlBackend backend, DbConfig config, Migrations migrations) {
    try {
      if (config.migrateOnOpen()) {
        Migrations.Result result = backend.migrationLock(migrations::migrate);
        if (result.applied() > 0) {
          LOG.info(
              "migrated {} database {} to version {} ({} migrations)",
              backend.name(),
              config.redactedUrl(),
              result.version(),
              result.applied());
        }
        return;
      }
      if (migrations.isBehind()) {
        throw new DbConfigException(
            "database schema is behind: "
                + config.redactedUrl()
                + " is at version "
                + migrations.currentVersion().orElse("none")
                + ", this library needs "
                + migrations.latestVersion()
                + "; migrate it first: open it once with mutations enabled and"
                + " DB_MIGRATE_ON_OPEN=true, or call Migrations.migrate()");
      }
    } catch (FlywayException e) {
      throw new DbConfigException(
          "migration of " + config.redactedUrl() + " failed: " + e.getMessage(), e);
    }
  }

  private static int readDimension(DSLContext dsl) {
    Integer dimension =
        dsl.select(DSL.field(DSL.name("dimension"), Integer.class))
            .from(DSL.table(DSL.name("vector_settings")))
            .fetchOne(0, Integer.class);
    if (dimension == null) {
      throw new DbConfigException("vector_settings holds no row: the schema is damaged");
    }
    return dimension;
  }

  private void userDeleted(String userId) {
    jtiCache.userDeleted(userId);
    core.backend.vectorIndex().written(userId);
  }

  @Override
  public Users users() {
    return users;
  }

  @Override
  public RefreshTokens refreshTokens() {
    return tokens;
  }

  @Override
  public Subscriptions subscriptions() {
    return subscriptions;
  }

  @Override
  public Journal journal() {
    return journal;
  }

  @Override
  public RevokedJtis jtis() {
    return jtis;
  }

  @Override
  public VectorStore vectors() {
    return vectors;
  }

  @Override
  public <T> T inTransaction(TransactionWork<T> work) {
    if (work == null) {
      throw new dev.polydb.api.DbValidationException("work", "must not be null");
    }
    core.ensureOpen();
    if (session.inTransaction()) {
      return work.run(this);
    }
    return core.transaction(
        "transaction", tx -> work.run(new JooqProvider(core, session.bind(tx), jtiCache)));
  }

  @Override
  public Health health() {
    PoolStats pool = core.backend.poolStats();
    long start = System.nanoTime();
    try {
      // on the session's connection: inside inTransaction that is the transaction's own
      Optional<String> version =
          session.read(
              "health check",
              ctx ->
                  ctx.select(core.tables.historyVersion)
                      .from(core.tables.history)
                      .where(
                          core.tables.historySuccess.isTrue(),
                          core.tables.historyVersion.isNotNull())
                      .orderBy(core.tables.historyRank.desc())
                      .limit(1)
                      .fetchOptional(core.tables.historyVersion));
      Duration latency = Duration.ofNanos(System.nanoTime() - start);
      return new Health(
          core.backend.name(),
          true,
          latency,
          version,
          !core.config.mutationsEnabled(),
          core.backend.poolStats(),
          Optional.empty());
    } catch (RuntimeException e) {
      RuntimeException mapped = core.translate(e, "health check");
      return new Health(
          core.backend.name(),
          false,
          Duration.ofNanos(System.nanoTime() - start),
          Optional.empty(),
          !core.config.mutationsEnabled(),
          pool,
          Optional.of(String.valueOf(mapped.getMessage())));
    }
  }

  @Override
  public DbConfig config() {
    return core.config;
  }

  @Override
  public String backend() {
    return core.backend.name();
  }

  @Override
  public void close() {
    if (session.inTransaction()) {
      throw new IllegalStateException("close the provider, not the transaction's view of it");
    }
    if (core.markClosed()) {
      core.backend.close();
    }
  }

  @Override
  public String toString() {
    return "DbProvider[" + core.backend.name() + ", " + core.config.redactedUrl() + "]";
  }
}
