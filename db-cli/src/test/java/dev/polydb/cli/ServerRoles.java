package dev.polydb.cli;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProviders;
import dev.polydb.testkit.FreshDatabases;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A whole database of the test server and the four production roles of one prefix, made by {@code
 * polydb roles create}; {@link #close()} drops both.
 */
final class ServerRoles implements AutoCloseable {
  static final String PASSWORD_PREFIX = "Pw-";

  final FreshDatabases databases;
  final String adminUrl;
  final String database;
  final String prefix;

  ServerRoles(FreshDatabases databases) {
    this.databases = databases;
    this.adminUrl = databases.newServerDatabaseUrl();
    this.database = DatabaseUrl.parse(adminUrl).database().orElseThrow();
    byte[] random = new byte[5];
    new SecureRandom().nextBytes(random);
    this.prefix = "polydb_r" + HexFormat.of().formatHex(random);
  }

  /** The environment that gives each role a password of its own. */
  Map<String, String> passwords() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String kind : new String[] {"owner", "app", "readonly", "import"}) {
      env.put("POLYDB_" + kind.toUpperCase(java.util.Locale.ROOT) + "_PASSWORD", password(kind));
    }
    return env;
  }

  String password(String kind) {
    return PASSWORD_PREFIX + kind + "-" + prefix.substring(prefix.length() - 6);
  }

  String role(String kind) {
    return prefix + "_" + kind;
  }

  /** The database's URL as one of the roles. */
  String urlAs(String kind) {
    return databases.server().url(database, role(kind), password(kind));
  }

  /** Runs {@code roles create} with every password, and fails when it does not exit 0. */
  Cli.Run create() {
    Cli.Run run = Cli.run(passwords(), "roles", "create", "--url", adminUrl, "--prefix", prefix);
    if (run.exit() != 0) {
      throw new AssertionError("roles create: " + run.all());
    }
    return run;
  }

  /** Runs statements as the server's user on the database. */
  void admin(String... sql) throws SQLException {
    try (Connection c = connect(adminUrl);
        Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    }
  }

  static Connection connect(String url) throws SQLException {
    return DbProviders.factoryFor(url)
        .dataSource(DbConfig.builder().url(url).build())
        .getConnection();
  }

  @Override
  public void close() throws SQLException {
    databases.server().dropServerDatabase(adminUrl);
    String server = databases.server().url("postgres", null, null);
    try (Connection c = connect(server);
        Statement s = c.createStatement()) {
      for (String kind : new String[] {"owner", "app", "readonly", "import"}) {
        s.execute("DROP ROLE IF EXISTS " + role(kind));
      }
    }
  }
}
