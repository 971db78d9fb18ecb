package dev.polydb.cli.internal;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProviders;
import dev.polydb.migrations.Migrations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * One database the tool works on, found from a {@code DATABASE_URL}: its engine, a plain data
 * source from the backend that claims the URL, and the URL as it may be printed.
 */
public final class Endpoint {
  private static final byte[] SQLITE_HEADER =
      "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

  /** The engines the tool knows. */
  public enum Engine {
    /** SQLite. */
    SQLITE,
    /** PostgreSQL with pgvector. */
    POSTGRES
  }

  private final DbConfig config;
  private final DatabaseUrl url;
  private final Engine engine;
  private final DataSource dataSource;

  private Endpoint(DbConfig config, DatabaseUrl url, Engine engine, DataSource dataSource) {
    this.config = config;
    this.url = url;
    this.engine = engine;
    this.dataSource = dataSource;
  }

  /**
   * Finds the database of a URL, with the settings of the environment ({@code DB_*}).
   *
   * @param rawUrl the URL; {@code null} for {@code DATABASE_URL}, empty for the default SQLite file
   * @param writable whether the tool may write to it; a read-only SQLite endpoint must exist
   * @param env the environment
   * @return the endpoint; nothing is connected yet
   * @throws ToolException (exit 3) when the URL is refused or names a SQLite file that is missing
   *     or not SQLite
   */
  public static Endpoint of(String rawUrl, boolean writable, Map<String, String> env) {
    Map<String, String> settings = new HashMap<>(env);
    // the tool works on one database at a time: the application's mode does not apply to it (a
    // SQLite file keeps a mirror's triggers when the tool opens it with no mode)
    settings.remove("DB_MODE");
    settings.remove("DB_MIRROR_URL");
    if (rawUrl != null) {
      settings.remove("DATABASE_URL");
    }
    DbConfig.Builder builder = DbConfig.builder().fromEnv(settings);
    if (rawUrl != null) {
      Secrets.rememberUrl(rawUrl);
      builder.url(rawUrl);
    }
    DbConfig config = builder.mutationsEnabled(writable).build();
    DatabaseUrl url = DatabaseUrl.parse(config.url());
    Engine engine = url.kind() == DatabaseUrl.Kind.SQLITE ? Engine.SQLITE : Engine.POSTGRES;
    if (engine == Engine.SQLITE && !writable) {
      url.sqlitePath().ifPresent(Endpoint::checkSqliteFile);
    }
    DataSource dataSource = DbProviders.factoryFor(config.url()).dataSource(config);
    return new Endpoint(config, url, engine, dataSource);
  }

  /**
   * Another database with this one's settings: a tenant's file beside it.
   *
   * @param rawUrl the other database's URL
   * @return the endpoint; nothing is connected yet
   */
  public Endpoint sibling(String rawUrl) {
    DbConfig other = config.toBuilder().url(rawUrl).build();
    return new Endpoint(
        other, DatabaseUrl.parse(rawUrl), engine, DbProviders.factoryFor(rawUrl).dataSource(other));
  }

  /**
   * A plain data source on the database (not pooled).
   *
   * @return the data source
   */
  public DataSource dataSource() {
    return dataSource;
  }

  private static void checkSqliteFile(Path file) {
    if (!Files.exists(file)) {
      throw ToolException.config("sqlite file not found: " + file);
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw ToolException.config("sqlite file cannot be read: " + file);
    }
    byte[] header = new byte[SQLITE_HEADER.length];
    try (InputStream in = Files.newInputStream(file)) {
      int read = in.readNBytes(header, 0, header.length);
      if (read < header.length || !Arrays.equals(header, SQLITE_HEADER)) {
        throw ToolException.config("not a SQLite database: " + file);
      }
    } catch (IOException e) {
      throw ToolException.config(
          "sqlite file cannot be read: " + file + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * The engine.
   *
   * @return SQLite or Postgres
   */
  public Engine engine() {
    return engine;
  }

  /**
   * The URL with its credentials masked.
   *
   * @return the URL as it may be printed
   */
  public String redacted() {
    return url.redacted();
  }

  /**
   * The settings the endpoint was made with.
   *
   * @return the configuration
   */
  public DbConfig config() {
    return config;
  }

  /**
   * The parsed URL.
   *
   * @return the URL
   */
  public DatabaseUrl url() {
    return url;
  }

  /**
   * The Flyway dialect.
   *
   * @return the dialect of the engine
   */
  public Migrations.Dialect dialect() {
    return engine == Engine.SQLITE ? Migrations.Dialect.SQLITE : Migrations.Dialect.POSTGRES;
  }

  /**
   * The library's migrations on this database, with the environment's vector settings.
   *
   * @return the migrations
   */
  public Migrations migrations() {
    return Migrations.of(
        dataSource,
        dialect(),
        new Migrations.Settings(
            config.vectorDimension(),
            config.vectorMetric().name().toLowerCase(java.util.Locale.ROOT),
            config.embeddingModel(),
            config.vectorIndex(),
            config.vectorIvfflatLists()));
  }

  /**
   * A new connection.
   *
   * @return the connection, which the caller closes
   * @throws ToolException (exit 3) when the database cannot be reached
   */
  public Connection connect() {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw ToolException.unreachable(this, e);
    }
  }
}
