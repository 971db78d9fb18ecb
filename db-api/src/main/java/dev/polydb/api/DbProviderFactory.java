package dev.polydb.api;

import javax.sql.DataSource;

/**
 * The service-provider interface a backend implements to be chosen by URL. Register the
 * implementation in {@code META-INF/services/dev.polydb.api.DbProviderFactory}; adding the jar to
 * the class path is then enough for {@link DbProviders} to find it.
 */
public interface DbProviderFactory {

  /**
   * A short name for the backend, e.g. {@code sqlite}.
   *
   * @return the name
   */
  String name();

  /**
   * Whether this factory handles the URL. Must not throw and must not connect.
   *
   * @param url the database URL
   * @return {@code true} when {@link #open} should be called with it
   */
  boolean supports(String url);

  /**
   * Opens a provider.
   *
   * @param config the configuration; its URL is one that {@link #supports} accepted
   * @return the open provider
   * @throws DbConfigException when the URL or settings are unusable
   * @throws DbTransientException when the database cannot be reached
   */
  DbProvider open(DbConfig config);

  /**
   * Whether this backend can work on an application's own {@link DataSource} whose connections
   * report this product name ({@code DatabaseMetaData.getDatabaseProductName()}). Must not throw.
   *
   * @param productName e.g. {@code PostgreSQL}
   * @return {@code true} when {@link #open(DataSource, DbConfig)} should be called; {@code false}
   *     by default
   */
  default boolean supportsProduct(String productName) {
    return false;
  }

  /**
   * Opens a provider on the application's own pool, which the provider uses and never closes.
   *
   * @param dataSource the application's pool
   * @param config the other settings; its URL is not used to connect
   * @return the open provider
   * @throws DbConfigException when this backend makes its own connections only (the default)
   */
  default DbProvider open(DataSource dataSource, DbConfig config) {
    throw new DbConfigException(
        "the " + name() + " backend makes its own connections: give it a DATABASE_URL");
  }

  /**
   * A plain JDBC data source for the configured database, for tools that inspect or move a whole
   * database (the {@code db-cli} copy, verify and doctor commands): no pool, no migration, no
   * provider. Its connections carry the configuration's statement timeout, and refuse writes when
   * mutations are disabled. Applications use {@link #open} instead.
   *
   * @param config the configuration; its URL is one that {@link #supports} accepted
   * @return a data source that connects on demand
   * @throws DbConfigException when the URL is unusable, or this backend offers no data source
   */
  default DataSource dataSource(DbConfig config) {
    throw new DbConfigException("the " + name() + " backend offers no plain data source");
  }
}
