package dev.polydb.api;

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
}
