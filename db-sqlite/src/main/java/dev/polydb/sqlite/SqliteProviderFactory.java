package dev.polydb.sqlite;

import dev.polydb.api.BackendMode;
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
    SqliteBackend backend = new SqliteBackend(url, config);
    DbProvider provider = JooqProvider.open(backend, config);
    if (!url.inMemory() && config.mode().orElse(null) != BackendMode.MIRROR) {
      // DB_MODE=sqlite ends a mirror; with DB_MODE unset (the tools, a helper process) the
      // triggers stay and go on logging for it
      MirrorTriggers.check(
          backend.dataSource(),
          config.redactedUrl(),
          config.mutationsEnabled() && config.mode().orElse(null) == BackendMode.SQLITE);
    }
    return provider;
  }

  @Override
  public DataSource dataSource(DbConfig config) {
    return SqliteBackend.plainDataSource(DatabaseUrl.parse(config.url()), config);
  }
}
