package dev.polydb.postgres;

import dev.polydb.api.DbConfig;
import dev.polydb.api.TenantId;
import dev.polydb.migrations.TenantSchemas;
import dev.polydb.testkit.DbProviderContract;
import dev.polydb.testkit.PostgresTestServer;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The conformance suite, unchanged, inside a tenant: each test's database is a tenant of its own,
 * registered with an empty schema, and every provider the suite opens is that tenant's view, which
 * sets the search path in every transaction. {@code .ci/check-suites} holds it to the same tests as
 * the other two runs.
 */
class PostgresTenantContractTest extends DbProviderContract {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, TenantId> tenants = new ConcurrentHashMap<>();

  @Override
  protected String newDatabaseUrl() {
    PostgresTestServer server = PostgresTestServer.get();
    String url = server.newDatabaseUrl();
    byte[] random = new byte[8];
    RANDOM.nextBytes(random);
    TenantId tenant = TenantId.of("suite_" + HexFormat.of().formatHex(random));
    try {
      TenantSchemas.register(server.dataSource(url), tenant, TenantId.DEFAULT_PREFIX);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot register the test's tenant", e);
    }
    tenants.put(url, tenant);
    return url;
  }

  @Override
  protected void dropDatabase(String url) {
    PostgresTestServer server = PostgresTestServer.get();
    TenantId tenant = tenants.remove(url);
    if (tenant != null) {
      try {
        TenantSchemas.drop(server.dataSource(url), tenant);
      } catch (SQLException e) {
        throw new IllegalStateException("cannot drop the test's tenant", e);
      }
    }
    server.dropDatabase(url);
  }

  @Override
  protected DbConfig.Builder configure(String url, DbConfig.Builder settings) {
    TenantId tenant = tenants.get(url);
    return tenant == null ? settings : settings.tenant(tenant.value());
  }
}
