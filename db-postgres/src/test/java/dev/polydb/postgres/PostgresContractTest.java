package dev.polydb.postgres;

import dev.polydb.testkit.DbProviderContract;
import dev.polydb.testkit.PostgresTestServer;
import org.junit.jupiter.api.BeforeAll;

/** The conformance suite on PostgreSQL: a new schema per test on the test server. */
class PostgresContractTest extends DbProviderContract {
  private static PostgresTestServer server;

  @BeforeAll
  static void findServer() {
    server = PostgresTestServer.get();
  }

  @Override
  protected String newDatabaseUrl() {
    return server.newDatabaseUrl();
  }

  @Override
  protected void dropDatabase(String url) {
    server.dropDatabase(url);
  }
}
