package dev.polydb.sqlite;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviderFactory;
import dev.polydb.jooq.JooqProvider;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * The SQLite backend, found by {@code DbProviders} through {@code META-INF/services}. It claims an
 * empty URL (the default file) and {@code sqlite:}, {@code jdbc:sqlite:} and {@code file:} URLs.
 */
public final class SqliteProviderFactory implements DbProviderFactory {

  /** Creates the factory; {@link java.util.ServiceLoader} calls this. */
  public SqliteProviderFactory() {}

  @Override
  public String name() {
    return "sqlite";
  }

  @Override
  public boolean supports(String url) {
    String u = url == null ? "" : url.strip().toLowerCase(Locale.ROOT);
    return u.isEmpty()
        || u.startsWith("sqlite:")
        || u.startsWith("jdbc:sqlite:")
        || u.startsWith("file:");
  }

  @Override
  public DbProvider open(DbConfig config) {
    DatabaseUrl url = DatabaseUrl.parse(config.url());
    return JooqProvider.open(new SqliteBackend(url, config), config);
  }

  @Override
  public DataSource dataSource(DbConfig config) {
    return SqliteBackend.plainDataSource(DatabaseUrl.parse(config.url()), config);
  }
}
