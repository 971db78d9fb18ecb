package dev.polydb.postgres;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviderFactory;
import dev.polydb.jooq.JooqProvider;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * The PostgreSQL backend, found by {@code DbProviders} through {@code META-INF/services}. It claims
 * {@code postgres://} and {@code postgresql://} URLs (libpq style, as platforms hand them out) and
 * {@code jdbc:postgresql:} URLs.
 */
public final class PostgresProviderFactory implements DbProviderFactory {

  /** Creates the factory; {@link java.util.ServiceLoader} calls this. */
  public PostgresProviderFactory() {}

  @Override
  public String name() {
    return "postgres";
  }

  @Override
  public boolean supports(String url) {
    String u = url == null ? "" : url.strip().toLowerCase(Locale.ROOT);
    return u.startsWith("postgres://")
        || u.startsWith("postgresql://")
        || u.startsWith("jdbc:postgresql:");
  }

  @Override
  public DbProvider open(DbConfig config) {
    DatabaseUrl url = DatabaseUrl.parse(config.url());
    return JooqProvider.open(new PostgresBackend(url, config), config);
  }

  @Override
  public boolean supportsProduct(String productName) {
    return "PostgreSQL".equals(productName);
  }

  /**
   * Opens a provider on the application's pool. Its configuration's URL, when it has none, becomes
   * the pool's own JDBC URL without its options (for the log and messages; always redacted).
   */
  @Override
  public DbProvider open(DataSource dataSource, DbConfig config) {
    DbConfig named = config;
    if (config.url().isEmpty()) {
      try (java.sql.Connection c = dataSource.getConnection()) {
        String jdbcUrl = c.getMetaData().getURL();
        int query = jdbcUrl.indexOf('?'); // server, port and database name it; options need not
        named = config.toBuilder().url(query < 0 ? jdbcUrl : jdbcUrl.substring(0, query)).build();
      } catch (java.sql.SQLException | RuntimeException e) {
        named = config; // a URL the parser refuses (an option it does not know) names nothing
      }
    }
    return JooqProvider.open(new PostgresBackend(dataSource, named), named);
  }

  @Override
  public DataSource dataSource(DbConfig config) {
    return PostgresBackend.plainDataSource(DatabaseUrl.parse(config.url()), config);
  }
}
