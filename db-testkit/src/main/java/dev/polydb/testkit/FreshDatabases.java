package dev.polydb.testkit;

import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fresh, empty databases on the test PostgreSQL server for one test, dropped after it. Register it
 * on a field: {@code @RegisterExtension final FreshDatabases databases = new FreshDatabases();}
 * then ask {@link #newUrl()} for as many as the test needs. The server is found (or the test
 * skipped, or failed in CI) as {@link PostgresTestServer#get()} says.
 */
public final class FreshDatabases implements AfterEachCallback {
  private final List<String> urls = new ArrayList<>();
  private final List<String> serverDatabases = new ArrayList<>();

  /** Creates the extension; the server is looked up at the first {@link #newUrl()}. */
  public FreshDatabases() {}

  /**
   * A new, empty database (a schema of its own on the test server).
   *
   * @return its URL, to pass as a {@code DATABASE_URL}
   */
  public String newUrl() {
    String url = server().newDatabaseUrl();
    urls.add(url);
    return url;
  }

  /**
   * A whole new database, for tests of what spans a database: roles and grants, dumps and restores.
   *
   * @return its URL, as the server's user
   */
  public String newServerDatabaseUrl() {
    String url = server().newServerDatabaseUrl();
    serverDatabases.add(url);
    return url;
  }

  /**
   * A plain data source on a database from {@link #newUrl()}, to look at it or plant data.
   *
   * @param url the URL {@link #newUrl()} returned
   * @return the data source
   */
  public DataSource dataSource(String url) {
    return server().dataSource(url);
  }

  /**
   * The test server.
   *
   * @return the server
   */
  public PostgresTestServer server() {
    return PostgresTestServer.get();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    urls.forEach(server()::dropDatabase);
    urls.clear();
    serverDatabases.forEach(server()::dropServerDatabase);
    serverDatabases.clear();
  }
}
