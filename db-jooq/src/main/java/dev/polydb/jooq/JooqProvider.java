package dev.polydb.jooq;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbMetrics;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.Health;
import dev.polydb.api.Journal;
import dev.polydb.api.PoolStats;
import dev.polydb.api.RefreshTokens;
import dev.polydb.api.RevokedJtis;
import dev.polydb.api.Subscriptions;
import dev.polydb.api.TenantId;
import dev.polydb.api.TransactionWork;
import dev.polydb.api.Users;
import dev.polydb.api.VectorSettings;
import dev.polydb.api.VectorStore;
import dev.polydb.migrations.Migrations;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.flywaydb.core.api.FlywayException;
import org.jooq.DSLContext;
import org.jooq.Record3;
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

  /** What a user does to migrate a database a read-only provider refused. */
  public static final String MIGRATE_HINT =
      "migrate it first, as a role that may: java -jar polydb.jar migrate --url <its URL> (db-cli),"
          + " or open it once with ENABLE_MUTATIONS=true and DB_MIGRATE_ON_OPEN=true (the"
          + " defaults)";

  private final Core core;
  private final Session session;
  private final JtiCache jtiCache;
  private final Users users;
  private final RefreshTokens tokens;
  private final Subscriptions subscriptions;
  private final Journal journal;
  private final RevokedJtis jtis;
  private final VectorStore vectors;
  private final Map<String, JooqProvider> views = new ConcurrentHashMap<>();
  private final JooqProvider closesWith;

  private JooqProvider(Core core, Session session, JtiCache jtiCache, JooqProvider closesWith) {
    this.closesWith = closesWith;
    this.core = core;
    this.session = session;
    this.jtiCache = jtiCache;
    this.users =
        Metered.wrap(Users.class, new JooqUsers(session, this::userDeleted), core, "users");
    this.tokens =
        Metered.wrap(RefreshTokens.class, new JooqRefreshTokens(session), core, "refreshTokens");
    this.subscriptions =
        Metered.wrap(Subscriptions.class, new JooqSubscriptions(session), core, "subscriptions");
    this.journal = Metered.wrap(Journal.class, new JooqJournal(session), core, "journal");
    this.jtis =
        Metered.wrap(RevokedJtis.class, new JooqRevokedJtis(session, jtiCache), core, "jtis");
    this.vectors = Metered.wrap(VectorStore.class, new JooqVectorStore(session), core, "vectors");
  }

  /**
   * Opens a provider on a backend: migrates the schema when the configuration asks for it, or
   * checks that it is current, and checks the configured vector settings against the ones the
   * database recorded. On failure the backend is closed. With a tenant configured ({@code
   * DB_TENANT}) the provider is that tenant's view ({@link #tenant}), and closing it closes the
   * database's provider under it.
   *
   * @param backend the backend, which owns the pool
   * @param config the configuration
   * @return the provider; closing it closes the backend
   * @throws DbConfigException when the schema is behind and may not be migrated, a migration fails,
   *     or the vector settings differ from the recorded ones
   * @throws dev.polydb.api.DbNotFoundException when the configured tenant does not exist
   * @throws DbTransientException when the database could not be reached, or the connection was lost
   *     while opening
   */
  public static DbProvider open(SqlBackend backend, DbConfig config) {
    if (config.tenant().isEmpty()) {
      return opened(openOn(backend, config, null));
    }
    // DB_TENANT: the tenant's view, which closes the database's provider with it
    JooqProvider database = opened(openOn(backend, config.toBuilder().tenant(null).build(), null));
    try {
      return database.view(config.tenant().get(), database);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /** A database's provider (not a view) reports its pool from now until it closes. */
  private static JooqProvider opened(JooqProvider database) {
    database
        .core
        .config
        .metrics()
        .poolOpened(
            database.core.backend.name(),
            database.core.backend.poolName(),
            database.core.backend::poolStats);
    return database;
  }

  /** Opens a provider on a backend, the tenant's if it is one (see {@link #open}). */
  private static JooqProvider openOn(SqlBackend backend, DbConfig config, JooqProvider closesWith) {
    String what =
        backend.name()
            + " database "
            + config.redactedUrl()
            + config.tenant().map(t -> ", tenant " + t).orElse("");
    try {
      Migrations all =
          Migrations.of(
              backend.migrationDataSource(),
              backend.migrationDialect(),
              new Migrations.Settings(
                  config.vectorDimension(),
                  config.vectorMetric().name().toLowerCase(Locale.ROOT),
                  config.embeddingModel(),
                  config.vectorIndex(),
                  config.vectorIvfflatLists()));
      Migrations migrations = backend.migrationSchema().map(all::inSchema).orElse(all);
      String version = prepareSchema(backend, config, migrations, what);
      DSLContext dsl =
          DSL.using(
              backend.dataSource(),
              backend.dialect(),
              new Settings()
                  // JDBC's query timeout has whole seconds: rounded up, it never cancels a
                  // statement before the configured timeout (1.5 s down to 1 s would); a backend
                  // whose sessions enforce it on the server sets none (no timer per statement)
                  .withQueryTimeout(
                      backend.sessionsEnforceStatementTimeout()
                          ? 0
                          : (int) ((config.statementTimeout().toMillis() + 999) / 1000))
                  .withExecuteLogging(false));
      VectorSettings stored = checkVectorSettings(dsl, config);
      // one line per open, safe to keep: the URL is redacted, nothing else can hold a secret
      LOG.info(
          "opened {}: schema version {}, {}, mode {}, vectors {} dimensions {}{}",
          what,
          version,
          config.mutationsEnabled() ? "read-write" : "read-only",
          config.mode().map(m -> m.name().toLowerCase(Locale.ROOT)).orElse("from the url"),
          stored.dimension(),
          stored.metric().name().toLowerCase(Locale.ROOT),
          stored.model().map(m -> ", model " + m).orElse(""));
      Core core = new Core(backend, config, dsl, stored.dimension());
      return new JooqProvider(core, Session.pooled(core), new JtiCache(config), closesWith);
    } catch (RuntimeException | Error e) {
      try {
        backend.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof RuntimeException r) {
        // a connection lost while migrating or reading the settings is transient, not a config
        // error; what is neither a DbException nor a lost connection says which it is
        throw Errors.openFailure(r, what);
      }
      throw e;
    }
  }

  /** Migrates or checks the schema; returns its version, "current" when only checked. */
  private static String prepareSchema(
      SqlBackend backend, DbConfig config, Migrations migrations, String what) {
    try {
      if (config.migrateOnOpen()) {
        Migrations.Result result = backend.migrate(migrations);
        if (result.applied() > 0) {
          LOG.info(
              "migrated {} to version {} ({} migrations)",
              what,
              result.version(),
              result.applied());
        }
        return result.version();
      }
      if (migrations.isBehind()) {
        throw new DbConfigException(
            "database schema is behind: "
                + config.redactedUrl()
                + " is at version "
                + migrations.currentVersion().orElse("none")
                + ", this library needs "
                + migrations.latestVersion()
                + "; "
                + MIGRATE_HINT);
      }
      return "current";
    } catch (FlywayException e) {
      SQLException sql = SqlStates.find(e);
      if (sql != null && SqlStates.isTransient(sql)) {
        throw Errors.openFailure(e, what);
      }
      throw new DbConfigException("migration of " + what + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * The vector settings the database recorded at migration, which must be the configured ones: a
   * provider that opened with others would refuse every chunk, or compare vectors wrongly. A model
   * configured after the first migration is recorded here when the store has none yet.
   */
  private static VectorSettings checkVectorSettings(DSLContext dsl, DbConfig config) {
    Record3<Integer, String, String> row =
        dsl.select(
                DSL.field(DSL.name("dimension"), Integer.class),
                DSL.field(DSL.name("metric"), String.class),
                DSL.field(DSL.name("model"), String.class))
            .from(DSL.table(DSL.name("vector_settings")))
            .fetchOne();
    if (row == null) {
      throw new DbConfigException("vector_settings holds no row: the schema is damaged");
    }
    int dimension = row.value1();
    String metric = row.value2();
    String configuredMetric = config.vectorMetric().name().toLowerCase(Locale.ROOT);
    if (dimension != config.vectorDimension()) {
      throw settingDiffers(
          "dimension",
          "DB_VECTOR_DIMENSION",
          Integer.toString(config.vectorDimension()),
          Integer.toString(dimension),
          config);
    }
    if (!metric.equals(configuredMetric)) {
      throw settingDiffers("metric", "DB_VECTOR_METRIC", configuredMetric, metric, config);
    }
    Optional<String> model = Optional.ofNullable(row.value3());
    if (model.isPresent()
        && config.embeddingModel().isPresent()
        && !model.get().equals(config.embeddingModel().get())) {
      throw settingDiffers(
          "embedding model",
          "DB_EMBEDDING_MODEL",
          config.embeddingModel().get(),
          model.get(),
          config);
    }
    if (model.isEmpty() && config.embeddingModel().isPresent() && config.mutationsEnabled()) {
      // configured after the first migration: recorded now, unless a first chunk claims it first
      dsl.update(DSL.table(DSL.name("vector_settings")))
          .set(DSL.field(DSL.name("model"), String.class), config.embeddingModel().get())
          .where(DSL.field(DSL.name("model")).isNull())
          .execute();
      return checkVectorSettings(dsl, config);
    }
    return new VectorSettings(dimension, config.vectorMetric(), model);
  }

  private static DbConfigException settingDiffers(
      String setting, String variable, String configured, String recorded, DbConfig config) {
    return new DbConfigException(
        "vector "
            + setting
            + " is configured as "
            + configured
            + " but "
            + config.redactedUrl()
            + " was migrated with "
            + recorded
            + "; set "
            + variable
            + "="
            + recorded
            + " to open it, or give the new setting a database of its own (it is fixed at"
            + " migration)");
  }

  /** A deleted user's revoked JWT ids stay revoked (and cached) until they expire. */
  private void userDeleted(String userId) {
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
    DbMetrics metrics = core.config.metrics();
    long start = metrics == DbMetrics.NONE ? 0 : System.nanoTime();
    DbMetrics.Outcome outcome = DbMetrics.Outcome.SUCCESS;
    try {
      return core.transaction(
          "transaction", tx -> work.run(new JooqProvider(core, session.bind(tx), jtiCache, null)));
    } catch (RuntimeException | Error e) {
      outcome = DbMetrics.Outcome.of(e);
      throw e;
    } finally {
      if (metrics != DbMetrics.NONE) {
        metrics.operation(
            core.backend.name(),
            "inTransaction",
            outcome,
            Duration.ofNanos(System.nanoTime() - start));
      }
    }
  }

  @Override
  public Health health() {
    PoolStats pool = core.backend.poolStats();
    boolean mutationsDisabled = !core.config.mutationsEnabled();
    long start = System.nanoTime();
    try {
      // on the session's connection: inside inTransaction that is the transaction's own
      record Answer(Optional<String> version, boolean readOnly) {}
      Answer answer =
          session.read(
              "health check",
              ctx ->
                  new Answer(
                      ctx.select(core.tables.historyVersion)
                          .from(core.tables.history)
                          .where(
                              core.tables.historySuccess.isTrue(),
                              core.tables.historyVersion.isNotNull())
                          .orderBy(core.tables.historyRank.desc())
                          .limit(1)
                          .fetchOptional(core.tables.historyVersion),
                      core.backend.refusesWrites(ctx)));
      Duration latency = Duration.ofNanos(System.nanoTime() - start);
      return new Health(
          core.backend.name(),
          true,
          latency,
          answer.version(),
          mutationsDisabled || answer.readOnly(),
          core.backend.poolStats(),
          Optional.empty());
    } catch (RuntimeException e) {
      RuntimeException mapped = core.translate(e, "health check");
      return new Health(
          core.backend.name(),
          false,
          Duration.ofNanos(System.nanoTime() - start),
          Optional.empty(),
          mutationsDisabled,
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
  public DbProvider tenant(String tenantId) {
    if (session.inTransaction()) {
      throw new IllegalStateException("ask the provider for a tenant, not a transaction's view");
    }
    core.ensureOpen();
    return view(tenantId, null);
  }

  /** The tenant's view, opened once and kept while open. */
  private JooqProvider view(String tenantId, JooqProvider closesWith) {
    TenantId id = TenantId.of(tenantId, TenantId.DEFAULT_PREFIX);
    return views.compute(
        id.value(),
        (key, open) ->
            open != null && !open.core.isClosed()
                ? open
                : openOn(
                    core.backend.tenant(id, TenantId.DEFAULT_PREFIX),
                    core.config.toBuilder().tenant(id.value()).build(),
                    closesWith));
  }

  @Override
  public void close() {
    if (session.inTransaction()) {
      throw new IllegalStateException("close the provider, not the transaction's view of it");
    }
    if (core.markClosed()) {
      views.values().forEach(JooqProvider::close);
      if (core.config.tenant().isEmpty()) {
        core.config.metrics().poolClosed(core.backend.name(), core.backend.poolName());
      }
      core.backend.close();
      if (closesWith != null) {
        closesWith.close();
      }
    }
  }

  @Override
  public String toString() {
    return "DbProvider[" + core.backend.name() + ", " + core.config.redactedUrl() + "]";
  }
}
