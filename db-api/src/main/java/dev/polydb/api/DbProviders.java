package dev.polydb.api;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import javax.sql.DataSource;

/**
 * Opens a {@link DbProvider} for a URL through the {@link DbProviderFactory} services on the class
 * path: {@code db-sqlite} for SQLite URLs, {@code db-postgres} for Postgres URLs, or any
 * third-party backend.
 */
public final class DbProviders {

  private static final String MIRROR = "mirror";

  private DbProviders() {}

  /**
   * Opens the provider that {@code DATABASE_URL} and the other variables listed on {@link DbConfig}
   * describe; with {@code DATABASE_URL} unset, a SQLite file at {@value
   * DatabaseUrl#DEFAULT_SQLITE_PATH}.
   *
   * @return the open provider
   * @throws DbConfigException when the environment holds a bad value or no backend claims the URL
   */
  public static DbProvider fromEnv() {
    return open(DbConfig.fromEnv());
  }

  /**
   * Opens a provider for a URL with every other setting at its default.
   *
   * @param url the database URL
   * @return the open provider
   * @throws DbConfigException when the URL is malformed or no backend claims it
   */
  public static DbProvider open(String url) {
    return open(DbConfig.builder().url(url).build());
  }

  /**
   * Opens a provider.
   *
   * @param config the configuration
   * @return the open provider
   * @throws DbConfigException when the URL is malformed or no backend claims it
   */
  public static DbProvider open(DbConfig config) {
    if (config.mode().orElse(null) == BackendMode.MIRROR) {
      return mirrorFactory().open(config);
    }
    return factoryFor(config.url()).open(config);
  }

  /**
   * Opens a provider on the application's own pool (a Spring, Quarkus or Micronaut {@code
   * DataSource}), which the provider uses and never closes: closing the provider leaves the pool
   * open. The backend is the one whose {@link DbProviderFactory#supportsProduct} accepts the
   * database the pool's connections report. The URL in {@code config} is not used to connect.
   *
   * @param dataSource the application's pool
   * @param config every other setting
   * @return the open provider
   * @throws DbConfigException when no backend on the class path works on such a pool, or in mirror
   *     mode (which opens two databases by URL)
   * @throws DbTransientException when the pool gives no connection
   */
  public static DbProvider open(DataSource dataSource, DbConfig config) {
    if (dataSource == null || config == null) {
      throw new DbConfigException("the DataSource and the configuration must not be null");
    }
    if (config.mode().orElse(null) == BackendMode.MIRROR) {
      throw new DbConfigException(
          "DB_MODE=mirror opens its two databases by URL, not on an application's DataSource");
    }
    String product;
    try (Connection c = dataSource.getConnection()) {
      product = c.getMetaData().getDatabaseProductName();
    } catch (SQLException e) {
      throw new DbTransientException(
          "cannot get a connection from the application's DataSource (SQLState "
              + e.getSQLState()
              + ")",
          e.getSQLState(),
          e);
    }
    List<String> names = new ArrayList<>();
    for (DbProviderFactory f : ServiceLoader.load(DbProviderFactory.class, classLoader())) {
      boolean supported;
      try {
        supported = f.supportsProduct(product);
      } catch (RuntimeException e) {
        supported = false;
      }
      if (supported) {
        return f.open(dataSource, config);
      }
      names.add(f.name());
    }
    throw new DbConfigException(
        "no provider works on a DataSource of "
            + product
            + ": for PostgreSQL add dev.polydb:db-postgres (providers found: "
            + (names.isEmpty() ? "none" : String.join(", ", names))
            + ")");
  }

  /** The factory named {@code mirror}, which claims no URL: {@code DB_MODE} chooses it. */
  private static DbProviderFactory mirrorFactory() {
    for (DbProviderFactory f : ServiceLoader.load(DbProviderFactory.class, classLoader())) {
      if (MIRROR.equals(f.name())) {
        return f;
      }
    }
    throw new DbConfigException(
        "DB_MODE=mirror: add the dependency dev.polydb:db-mirror to the class path");
  }

  /**
   * Finds the factory that claims a URL.
   *
   * @param url the database URL
   * @return the first factory whose {@link DbProviderFactory#supports} accepts the URL
   * @throws DbConfigException when the URL is malformed or no factory claims it; the message names
   *     the module to add
   */
  public static DbProviderFactory factoryFor(String url) {
    List<String> names = new ArrayList<>();
    for (DbProviderFactory f : ServiceLoader.load(DbProviderFactory.class, classLoader())) {
      boolean supported;
      try {
        supported = f.supports(url);
      } catch (RuntimeException e) {
        supported = false; // supports() must not throw: a factory that does claims nothing
      }
      if (supported) {
        return f;
      }
      names.add(f.name());
    }
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    String module = parsed.kind() == DatabaseUrl.Kind.SQLITE ? "db-sqlite" : "db-postgres";
    throw new DbConfigException(
        "no provider for "
            + parsed.kind().name().toLowerCase(java.util.Locale.ROOT)
            + " url "
            + parsed.redacted()
            + ": add the dependency dev.polydb:"
            + module
            + " to the class path (providers found: "
            + (names.isEmpty() ? "none" : String.join(", ", names))
            + ")");
  }

  /** Whether a backend on the class path claims the URL; a factory that throws claims nothing. */
  static boolean claimed(String url) {
    for (DbProviderFactory f : ServiceLoader.load(DbProviderFactory.class, classLoader())) {
      try {
        if (f.supports(url)) {
          return true;
        }
      } catch (RuntimeException e) {
        // supports() must not throw; one that does is skipped, as factoryFor skips it
      }
    }
    return false;
  }

  private static ClassLoader classLoader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : DbProviders.class.getClassLoader();
  }
}
