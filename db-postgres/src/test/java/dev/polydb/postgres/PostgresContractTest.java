package dev.polydb.postgres;

import dev.polydb.testkit.DbProviderContract;
import dev.polydb.testkit.PostgresTestServer;

/**
 * The conformance suite on PostgreSQL: a new schema per test on the test server. Without a server
 * every test is skipped (each with the message saying how to provide one), or fails in CI.
 */
class PostgresContractTest extends DbProviderContract {

  @Override
  protected String newDatabaseUrl() {
    return PostgresTestServer.get().newDatabaseUrl();
  }

  @Override
  protected void dropDatabase(String url) {
    PostgresTestServer.get().dropDatabase(url);
  }
}
