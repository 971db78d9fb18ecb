package dev.polydb.migrations;

import dev.polydb.api.VectorIndexType;
import dev.polydb.api.VectorSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the library's Flyway migrations for one dialect on a data source: one folder of versioned
 * SQL per dialect under {@code db/migration/<dialect>}, history in {@code schema_migrations}.
 *
 * <p>Flyway serializes concurrent migrations on Postgres with an advisory lock. SQLite has none, so
 * the SQLite provider serializes {@link #migrate()} in its process and, across processes, lets the
 * loser of a race roll back (each migration is one SQLite transaction) and find the schema current.
 */
public final class Migrations {
  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

  /** The history table's name. */
  public static final String HISTORY_TABLE = "schema_migrations";

  /** The SQL dialects there are migrations for. */
  public enum Dialect {
    /** SQLite 3.37 or newer (STRICT tables). */
    SQLITE,
    /** PostgreSQL 15 or newer with pgvector. */
    POSTGRES;

    /**
     * The classpath folder of this dialect's migrations.
     *
     * @return e.g. {@code classpath:db/migration/sqlite}
     */
    public String location() {
      return "classpath:db/migration/" + name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The values a schema is created with.
   *
   * @param vectorDimension the embedding dimension, 1 to 16,000
   * @param vectorMetric {@code cosine}, {@code l2} or {@code inner_product}
   * @param embeddingModel the embedding model, or empty to let the first chunk decide
   * @param vectorIndex the Postgres index
   * @param ivfflatLists the IVFFlat index's lists, 1 to 32768
   */
  public record Settings(
      int vectorDimension,
      String vectorMetric,
      Optional<String> embeddingModel,
      VectorIndexType vectorIndex,
      int ivfflatLists) {
    /**
     * Validates the settings; they are written into SQL, so nothing else gets through.
     *
     * @throws IllegalArgumentException when a value is out of range
     */
    public Settings {
      if (vectorDimension < 1 || vectorDimension > 16_000) {
        throw new IllegalArgumentException(
            "vector dimension must be between 1 and 16000: " + vectorDimension);
      }
      if (!Arrays.asList("cosine", "l2", "inner_product").contains(vectorMetric)) {
        throw new IllegalArgumentException(
            "vector metric must be cosine, l2 or inner_product: " + vectorMetric);
      }
      if (vectorIndex == null) {
        throw new IllegalArgumentException("vector index must not be null");
      }
      if (ivfflatLists < 1 || ivfflatLists > 32_768) {
        throw new IllegalArgumentException(
            "IVFFlat lists must be between 1 and 32768: " + ivfflatLists);
      }
      Objects.requireNonNull(embeddingModel, "embeddingModel");
      embeddingModel.ifPresent(
          m -> {
            if (m.isBlank() || m.length() > 255 || m.indexOf('\0') >= 0) {
              throw new IllegalArgumentException("embedding model must be 1 to 255 characters");
            }
          });
    }

    /**
     * Settings with an HNSW index on Postgres, the default.
     *
     * @param vectorDimension the embedding dimension, 1 to 16,000
     * @param vectorMetric {@code cosine}, {@code l2} or {@code inner_product}
     * @param embeddingModel the embedding model, or empty to let the first chunk decide
     */
    public Settings(int vectorDimension, String vectorMetric, Optional<String> embeddingModel) {
      this(vectorDimension, vectorMetric, embeddingModel, VectorIndexType.HNSW, 100);
    }

    /**
     * The pgvector column type: {@code vector} up to {@link
     * VectorSettings#MAX_FULL_PRECISION_DIMENSION} dimensions (2000, the most an HNSW index takes
     * of it), {@code halfvec} above, which halves the storage and is indexed up to 4000.
     *
     * @return {@code vector} or {@code halfvec}
     */
    public String embeddingType() {
      return vectorDimension <= VectorSettings.MAX_FULL_PRECISION_DIMENSION ? "vector" : "halfvec";
    }

    Map<String, String> placeholders() {
      String operators =
          switch (vectorMetric) {
            case "l2" -> "l2";
            case "inner_product" -> "ip";
            default -> "cosine";
          };
      return Map.of(
          "vector_index",
          vectorIndex.name().toLowerCase(Locale.ROOT),
          "ivfflat_lists",
          Integer.toString(ivfflatLists),
          "vector_dimension",
          Integer.toString(vectorDimension),
          "vector_metric",
          vectorMetric,
          // the model is a caller's string: never written into SQL, bound by recordModel()
          "embedding_model",
          "NULL",
          "embedding_type",
          embeddingType(),
          "embedding_opclass",
          embeddingType() + "_" + operators + "_ops");
    }
  }

  /**
   * What {@link #migrate()} did.
   *
   * @param applied how many migrations it applied
   * @param version the schema version afterwards
   */
  public record Result(int applied, String version) {}

  private final Flyway flyway;
  private final DataSource dataSource;
  private final Settings settings;
  private final String schema;

  private Migrations(Flyway flyway, DataSource dataSource, Settings settings, String schema) {
    this.flyway = flyway;
    this.dataSource = dataSource;
    this.settings = settings;
    this.schema = schema;
  }

  /**
   * Prepares migrations for a database.
   *
   * @param dataSource the database
   * @param dialect its dialect
   * @param settings the values a new schema is created with
   * @return the migrations
   */
  public static Migrations of(DataSource dataSource, Dialect dialect, Settings settings) {
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(dataSource)
            .locations(dialect.location())
            .table(HISTORY_TABLE)
            .placeholders(settings.placeholders())
            .validateMigrationNaming(true)
            .cleanDisabled(true)
            .load();
    return new Migrations(flyway, dataSource, settings, null);
  }

  /**
   * The same migrations in one schema of a PostgreSQL database, with their own history there: a
   * tenant's (see {@link TenantSchemas}). The schema must exist; names in the scripts resolve in it
   * first, then in the connection's search path (where the {@code vector} extension is).
   *
   * @param schema the schema, a plain name
   * @return the migrations of that schema
   */
  public Migrations inSchema(String schema) {
    Flyway inSchema =
        Flyway.configure(Migrations.class.getClassLoader())
            .configuration(flyway.getConfiguration())
            .schemas(schema)
            .defaultSchema(schema)
            .createSchemas(false)
            .load();
    return new Migrations(inSchema, dataSource, settings, schema);
  }

  /**
   * Applies every pending migration.
   *
   * @return how many were applied and the version reached
   * @throws FlywayException when a migration fails or the history does not match the scripts
   */
  public Result migrate() {
    MigrateResult result = flyway.migrate();
    logSteps(result);
    if (result.migrationsExecuted > 0) {
      recordModel();
    }
    return new Result(result.migrationsExecuted, reached(result));
  }

  /**
   * Applies the pending migrations up to a version and no further: a database at an older version,
   * as an older release of the library left it (tests of upgrades and of refusals).
   *
   * @param version the last version to apply, e.g. {@code 2}
   * @return how many were applied and the version reached
   * @throws FlywayException when a migration fails or the history does not match the scripts
   */
  public Result migrateTo(String version) {
    MigrateResult result =
        Flyway.configure(Migrations.class.getClassLoader())
            .configuration(flyway.getConfiguration())
            .target(version)
            .load()
            .migrate();
    logSteps(result);
    if (result.migrationsExecuted > 0) {
      recordModel();
    }
    return new Result(result.migrationsExecuted, currentVersion().orElse("0"));
  }

  /** One DEBUG line per applied step: its version, description and time; never a URL. */
  private void logSteps(MigrateResult result) {
    if (!LOG.isDebugEnabled()) {
      return;
    }
    for (MigrateOutput step : result.migrations) {
      LOG.debug(
          "migration {} ({}) applied to {} in {} ms",
          step.version,
          step.description,
          schema == null ? result.database : "schema " + schema,
          step.executionTime);
    }
    LOG.debug(
        "migrated from version {} to {}: {} step(s)",
        result.initialSchemaVersion == null ? "none" : result.initialSchemaVersion,
        reached(result),
        result.migrationsExecuted);
  }

  /** Writes the configured model into a store that has none yet, as a bound parameter. */
  private void recordModel() {
    if (settings.embeddingModel().isEmpty()) {
      return;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE "
                    + (schema == null ? "" : '"' + schema + "\".")
                    + "vector_settings SET model = ? WHERE id = 1 AND model IS NULL")) {
      update.setString(1, settings.embeddingModel().get());
      update.executeUpdate();
      if (!c.getAutoCommit()) {
        c.commit();
      }
    } catch (SQLException e) {
      throw new FlywayException("cannot record the embedding model: " + e.getMessage(), e);
    }
  }

  /**
   * Checks that the applied migrations match the scripts on the class path.
   *
   * @throws FlywayException naming the mismatch
   */
  public void validate() {
    flyway.validate();
  }

  /**
   * The version a migration left, from its own result: asking Flyway again costs a connection and a
   * scan of the catalog on every open.
   */
  private static String reached(MigrateResult result) {
    if (result.targetSchemaVersion != null) {
      return result.targetSchemaVersion;
    }
    return result.initialSchemaVersion != null ? result.initialSchemaVersion : "0";
  }

  /**
   * The applied schema version.
   *
   * @return the version, empty on an unmigrated database
   */
  public Optional<String> currentVersion() {
    MigrationInfo current = flyway.info().current();
    return current == null || current.getVersion() == null
        ? Optional.empty()
        : Optional.of(current.getVersion().getVersion());
  }

  /**
   * The newest version among the scripts on the class path.
   *
   * @return the version this library needs
   */
  public String latestVersion() {
    MigrationVersion latest = MigrationVersion.EMPTY;
    for (MigrationInfo info : flyway.info().all()) {
      if (info.getVersion() != null && info.getVersion().isNewerThan(latest.getVersion())) {
        latest = info.getVersion();
      }
    }
    return latest.getVersion() == null ? "0" : latest.getVersion();
  }

  /**
   * One version, applied or pending.
   *
   * @param version e.g. {@code 2}
   * @param description from the script's name
   * @param state Flyway's word for it: {@code Success}, {@code Pending}, {@code Failed}, ...
   * @param installedOn when it was applied, empty when pending
   */
  public record Version(
      String version, String description, String state, Optional<Instant> installedOn) {
    /**
     * Whether the version is applied.
     *
     * @return {@code true} when applied and successful
     */
    public boolean applied() {
      return installedOn.isPresent() && state.equals("Success");
    }
  }

  /**
   * Every version the scripts and the history know, in order.
   *
   * @return the versions, applied and pending
   */
  public List<Version> versions() {
    List<Version> versions = new ArrayList<>();
    for (MigrationInfo info : flyway.info().all()) {
      if (info.getVersion() == null) {
        continue;
      }
      versions.add(
          new Version(
              info.getVersion().getVersion(),
              info.getDescription(),
              info.getState().getDisplayName(),
              Optional.ofNullable(info.getInstalledOn()).map(java.util.Date::toInstant)));
    }
    return versions;
  }

  /**
   * Whether migrations are pending.
   *
   * @return {@code true} when the database is behind the scripts
   */
  public boolean isBehind() {
    return flyway.info().pending().length > 0;
  }
}
