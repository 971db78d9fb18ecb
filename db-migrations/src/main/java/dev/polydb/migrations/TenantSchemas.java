package dev.polydb.migrations;

import dev.polydb.api.TenantId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Tenants on PostgreSQL: a schema each, named by a prefix and the tenant's id (see {@link
 * TenantId}), listed in the registry table {@value #REGISTRY} in {@code public}, and migrated with
 * the library's scripts and a history of its own. Every schema name is quoted wherever it is
 * written into SQL. A tenant is {@code creating} from the moment its row is written until its
 * schema is migrated, {@code ready} then, and {@code dropping} while it is removed; {@link #create}
 * and {@link #drop} finish a tenant an interrupted run left in between.
 */
public final class TenantSchemas {
  /** The registry table, in schema {@code public}. */
  public static final String REGISTRY = "polydb_tenants";

  private static final String TABLE = "public." + REGISTRY;

  /**
   * A registered tenant.
   *
   * @param id its id
   * @param schema its schema
   * @param createdAt when it was registered
   * @param state {@code creating}, {@code ready} or {@code dropping}
   */
  public record Tenant(String id, String schema, Instant createdAt, String state) {}

  private TenantSchemas() {}

  /**
   * Registers a tenant, creates its schema and migrates it; on a tenant that exists, migrates what
   * is pending. The {@code vector} extension must exist in the database, or the connecting role may
   * create it (it goes to {@code public}, where every tenant finds it).
   *
   * @param dataSource the database, as a role that may create schemas (the owner)
   * @param base the library's migrations for the database, with the settings new schemas take
   * @param id the tenant
   * @param prefix the schema prefix
   * @return the tenant, ready
   * @throws SQLException when the database refuses
   */
  public static Tenant create(DataSource dataSource, Migrations base, TenantId id, String prefix)
      throws SQLException {
    // the database's own schema first: it makes the extension, and Flyway would refuse a
    // non-empty public without history once the registry is there
    base.migrate();
    return createMigrated(dataSource, base, id, prefix);
  }

  /** {@link #create} once the database's own schema is current. */
  private static Tenant createMigrated(
      DataSource dataSource, Migrations base, TenantId id, String prefix) throws SQLException {
    String schema = registerSchema(dataSource, id, prefix);
    base.inSchema(schema).migrate();
    return markReady(dataSource, id);
  }

  /**
   * Registers a tenant with an empty schema and marks it ready without migrating it: the first
   * provider that opens it with migrate-on-open migrates it, with that provider's vector settings,
   * as it would a new database. The conformance suite's tenant run makes its databases this way; an
   * application uses {@link #create}.
   *
   * @param dataSource the database, as a role that may create schemas (the owner)
   * @param id the tenant
   * @param prefix the schema prefix
   * @return the tenant
   * @throws SQLException when the database refuses
   */
  public static Tenant register(DataSource dataSource, TenantId id, String prefix)
      throws SQLException {
    registerSchema(dataSource, id, prefix);
    return markReady(dataSource, id);
  }

  /** Adds the registry row (state creating) and the schema; returns the schema's name. */
  private static String registerSchema(DataSource dataSource, TenantId id, String prefix)
      throws SQLException {
    String schema = id.schema(prefix);
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      ensureRegistry(s);
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO "
                  + TABLE
                  + " (tenant_id, schema_name, created_at, state) VALUES (?, ?, now(), 'creating')"
                  + " ON CONFLICT (tenant_id) DO NOTHING")) {
        insert.setString(1, id.value());
        insert.setString(2, schema);
        insert.executeUpdate();
      }
      Tenant registered = find(c, id).orElseThrow();
      if (!registered.schema().equals(schema)) {
        throw new SQLException(
            "tenant is registered with schema " + registered.schema() + ", not " + schema, "42710");
      }
      if (registered.state().equals("dropping")) {
        throw new SQLException("tenant is being dropped: finish the drop first", "55000");
      }
      s.execute("CREATE SCHEMA IF NOT EXISTS " + id.quotedSchema(prefix));
    }
    return schema;
  }

  private static Tenant markReady(DataSource dataSource, TenantId id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ready =
            c.prepareStatement("UPDATE " + TABLE + " SET state = 'ready' WHERE tenant_id = ?")) {
      ready.setString(1, id.value());
      ready.executeUpdate();
      return find(c, id).orElseThrow();
    }
  }

  /**
   * The registered tenants, by id.
   *
   * @param dataSource the database
   * @return the tenants; none when the registry does not exist
   * @throws SQLException when the database refuses
   */
  public static List<Tenant> list(DataSource dataSource) throws SQLException {
    List<Tenant> tenants = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      if (!registryExists(c)) {
        return tenants;
      }
      try (Statement s = c.createStatement();
          ResultSet r =
              s.executeQuery(
                  "SELECT tenant_id, schema_name, created_at, state FROM "
                      + TABLE
                      + " ORDER BY tenant_id")) {
        while (r.next()) {
          tenants.add(tenant(r));
        }
      }
    }
    return tenants;
  }

  /**
   * One registered tenant.
   *
   * @param dataSource the database
   * @param id the tenant
   * @return the tenant, or empty when it is not registered
   * @throws SQLException when the database refuses
   */
  public static Optional<Tenant> find(DataSource dataSource, TenantId id) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return registryExists(c) ? find(c, id) : Optional.empty();
    }
  }

  /**
   * Drops a tenant's schema with everything in it, then its registration.
   *
   * @param dataSource the database, as the schema's owner
   * @param id the tenant
   * @return whether there was such a tenant
   * @throws SQLException when the database refuses
   */
  public static boolean drop(DataSource dataSource, TenantId id) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (!registryExists(c)) {
        return false;
      }
      Optional<Tenant> tenant = find(c, id);
      if (tenant.isEmpty()) {
        return false;
      }
      try (PreparedStatement dropping =
          c.prepareStatement("UPDATE " + TABLE + " SET state = 'dropping' WHERE tenant_id = ?")) {
        dropping.setString(1, id.value());
        dropping.executeUpdate();
      }
      // the schema name comes from the registry, which only ever holds checked names
      String prefix = prefixOf(tenant.get());
      String schema = TenantId.of(id.value(), prefix).quotedSchema(prefix);
      c.setAutoCommit(false);
      try (Statement s = c.createStatement();
          PreparedStatement delete =
              c.prepareStatement("DELETE FROM " + TABLE + " WHERE tenant_id = ?")) {
        s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        delete.setString(1, id.value());
        delete.executeUpdate();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
      return true;
    }
  }

  /**
   * Migrates every registered tenant, finishing those an interrupted create left; skips those being
   * dropped.
   *
   * @param dataSource the database, as the owner
   * @param base the library's migrations for the database
   * @return the tenants migrated, each ready
   * @throws SQLException when the database refuses
   */
  public static List<Tenant> migrateAll(DataSource dataSource, Migrations base)
      throws SQLException {
    List<Tenant> done = new ArrayList<>();
    List<Tenant> registered = list(dataSource);
    if (!registered.isEmpty()) {
      base.migrate();
    }
    for (Tenant tenant : registered) {
      if (!tenant.state().equals("dropping")) {
        String prefix = prefixOf(tenant);
        done.add(createMigrated(dataSource, base, TenantId.of(tenant.id(), prefix), prefix));
      }
    }
    return done;
  }

  /** The prefix a registered schema was made with: the schema without the id at its end. */
  private static String prefixOf(Tenant tenant) {
    String schema = tenant.schema();
    if (!schema.endsWith(tenant.id())) {
      throw new IllegalStateException("registry row of another shape: " + REGISTRY);
    }
    return schema.substring(0, schema.length() - tenant.id().length());
  }

  private static Optional<Tenant> find(Connection c, TenantId id) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT tenant_id, schema_name, created_at, state FROM "
                + TABLE
                + " WHERE tenant_id = ?")) {
      p.setString(1, id.value());
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? Optional.of(tenant(r)) : Optional.empty();
      }
    }
  }

  private static Tenant tenant(ResultSet r) throws SQLException {
    Timestamp created = r.getTimestamp(3);
    return new Tenant(r.getString(1), r.getString(2), created.toInstant(), r.getString(4));
  }

  private static boolean registryExists(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
      r.next();
      return r.getBoolean(1);
    }
  }

  private static void ensureRegistry(Statement s) throws SQLException {
    s.execute(
        "CREATE TABLE IF NOT EXISTS "
            + TABLE
            + " (tenant_id text COLLATE \"C\" PRIMARY KEY,"
            + " schema_name text COLLATE \"C\" NOT NULL UNIQUE,"
            + " created_at timestamptz NOT NULL,"
            + " state text NOT NULL CHECK (state IN ('creating', 'ready', 'dropping')))");
  }
}
