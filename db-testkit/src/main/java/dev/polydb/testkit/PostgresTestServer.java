package dev.polydb.testkit;

import dev.polydb.api.DatabaseUrl;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The PostgreSQL server the tests run on, found once per JVM:
 *
 * <ol>
 *   <li>{@code TEST_DATABASE_URL} (environment, or the system property {@code
 *       polydb.test.database-url}), in any form {@code DATABASE_URL} accepts;
 *   <li>else a Testcontainers {@value #IMAGE} container, when a Docker engine answers;
 *   <li>else none: the test is skipped with a message that says how to provide one, or fails when
 *       {@code POLYDB_REQUIRE_POSTGRES=true} (CI sets it, so that Postgres tests never skip there).
 * </ol>
 *
 * <p>Each {@link #newDatabaseUrl()} is a new, empty schema on that server; {@link
 * #dropDatabase(String)} drops it. The schema's search path also holds the schema of the {@code
 * vector} extension, which the server's database gets once.
 */
public final class PostgresTestServer {

  /** The environment variable naming the server. */
  public static final String URL_VARIABLE = "TEST_DATABASE_URL";

  /** The environment variable that turns a missing server from a skip into a failure. */
  public static final String REQUIRED_VARIABLE = "POLYDB_REQUIRE_POSTGRES";

  /** The image started when no URL is given and Docker answers. */
  public static final String IMAGE = "pgvector/pgvector:pg17";

  private static final String SCHEMA_PREFIX = "polydb_t_";
  private static final Pattern SCHEMA = Pattern.compile(SCHEMA_PREFIX + "(\\d+)_[0-9a-f]{12}");
  private static final Duration STALE = Duration.ofDays(1);
  private static final SecureRandom RANDOM = new SecureRandom();

  private static PostgresTestServer found;
  private static String missing;

  private final String baseUrl;
  private final String description;
  private final String extensionSchema;

  private PostgresTestServer(String baseUrl, String description) {
    this.baseUrl = baseUrl;
    this.description = description;
    this.extensionSchema = prepare();
  }

  /**
   * The server, found on first use.
   *
   * @return the server
   * @throws org.opentest4j.TestAbortedException when there is none and it is not required
   * @throws IllegalStateException when there is none and {@value #REQUIRED_VARIABLE} is true, or
   *     the server cannot be prepared
   */
  public static synchronized PostgresTestServer get() {
    if (found == null && missing == null) {
      find();
    }
    if (found != null) {
      return found;
    }
    if (required()) {
      throw new IllegalStateException(missing + "; " + REQUIRED_VARIABLE + " is true");
    }
    Assumptions.abort(missing);
    throw new AssertionError("unreachable");
  }

  private static void find() {
    if (!onClassPath("org.postgresql.Driver")) {
      missing =
          "no PostgreSQL JDBC driver on the test class path for the Postgres tests: add"
              + " dev.polydb:db-postgres (or org.postgresql:postgresql)";
      return;
    }
    String url = setting(URL_VARIABLE, "polydb.test.database-url");
    if (url != null) {
      found = new PostgresTestServer(url, DatabaseUrl.redact(url) + " (" + URL_VARIABLE + ")");
      return;
    }
    if (dockerAnswers()) {
      found = Container.start();
      return;
    }
    missing =
        "no PostgreSQL server for the Postgres tests: set "
            + URL_VARIABLE
            + "=postgres://user:password@host:5432/database (PostgreSQL 15 or newer with"
            + " pgvector 0.8 or newer), or start a Docker engine so that Testcontainers can run "
            + IMAGE
            + ", e.g. docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=postgres "
            + IMAGE
            + " and "
            + URL_VARIABLE
            + "=postgres://postgres:postgres@localhost:5432/postgres"
            + (onClassPath("org.testcontainers.containers.PostgreSQLContainer")
                ? ""
                : " (Testcontainers is not on the test class path: add"
                    + " org.testcontainers:postgresql)");
  }

  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, PostgresTestServer.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Whether a test that cannot run against the server must fail rather than skip ({@value
   * #REQUIRED_VARIABLE}, which CI sets).
   *
   * @return true when required
   */
  public static boolean required() {
    return Boolean.parseBoolean(setting(REQUIRED_VARIABLE, "polydb.test.require-postgres"));
  }

  private static String setting(String variable, String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(variable);
    }
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static boolean dockerAnswers() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /**
   * Where the tests run, with any password redacted.
   *
   * @return e.g. {@code postgres://ci@127.0.0.1:5432/test (TEST_DATABASE_URL)}
   */
  public String description() {
    return description;
  }

  /**
   * Creates a new, empty schema and returns a URL whose search path starts with it.
   *
   * @return the URL, in the form of the server's URL
   */
  public String newDatabaseUrl() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    String schema =
        SCHEMA_PREFIX + Instant.now().getEpochSecond() + "_" + HexFormat.of().formatHex(random);
    execute("create schema " + schema);
    String searchPath = URLEncoder.encode(schema + "," + extensionSchema, StandardCharsets.UTF_8);
    return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + searchPath;
  }

  /**
   * Creates a whole new database on the server, for tests that need one of their own: roles and
   * their grants, dumps and restores. It has the {@code vector} extension in {@code public}. The
   * URL connects as the server's user, which must be allowed to create databases.
   *
   * @return its URL, in the form of the server's URL
   */
  public String newServerDatabaseUrl() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    String name =
        SCHEMA_PREFIX + Instant.now().getEpochSecond() + "_" + HexFormat.of().formatHex(random);
    execute("create database " + name);
    String url = url(name, null, null);
    PGSimpleDataSource ds = dataSource();
    ds.setDatabaseName(name);
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("create extension if not exists vector with schema public");
    } catch (SQLException e) {
      throw new IllegalStateException("test server " + description + ": " + e.getMessage(), e);
    }
    return url;
  }

  /**
   * Drops a database made by {@link #newServerDatabaseUrl()}, closing its sessions.
   *
   * @param url the URL {@link #newServerDatabaseUrl()} returned
   */
  public void dropServerDatabase(String url) {
    String name = DatabaseUrl.parse(url).database().orElse("");
    if (!SCHEMA.matcher(name).matches()) {
      throw new IllegalArgumentException("not a test database url: " + DatabaseUrl.redact(url));
    }
    execute("drop database if exists " + name + " with (force)");
  }

  /**
   * A URL on another database of the server, or as another user: the server's URL with its
   * database, user and password replaced.
   *
   * @param database the database
   * @param user the user, or {@code null} to keep the server's
   * @param password the password, or {@code null} for none
   * @return the URL, {@code postgresql://} form, with the server's query options
   */
  public String url(String database, String user, String password) {
    DatabaseUrl url = DatabaseUrl.parse(baseUrl);
    String login = user == null ? url.user().orElse(null) : user;
    String secret = user == null ? url.password().orElse(null) : password;
    StringBuilder text = new StringBuilder("postgresql://");
    if (login != null) {
      text.append(URLEncoder.encode(login, StandardCharsets.UTF_8));
      if (secret != null) {
        text.append(':').append(URLEncoder.encode(secret, StandardCharsets.UTF_8));
      }
      text.append('@');
    }
    String host = url.host().orElseThrow();
    text.append(host.contains(":") ? "[" + host + "]" : host)
        .append(':')
        .append(url.port())
        .append('/');
    text.append(URLEncoder.encode(database, StandardCharsets.UTF_8));
    String query =
        url.options().entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    return query.isEmpty() ? text.toString() : text + "?" + query;
  }

  /**
   * Drops a schema made by {@link #newDatabaseUrl()}, with everything in it.
   *
   * @param url the URL {@link #newDatabaseUrl()} returned
   */
  public void dropDatabase(String url) {
    execute("drop schema if exists " + schemaOf(url) + " cascade");
  }

  /**
   * A plain (unpooled) data source on a schema made by {@link #newDatabaseUrl()}, for tests that
   * read the catalog or run migrations directly.
   *
   * @param url the URL {@link #newDatabaseUrl()} returned
   * @return the data source
   */
  public DataSource dataSource(String url) {
    PGSimpleDataSource ds = dataSource();
    ds.setCurrentSchema(schemaOf(url) + "," + extensionSchema);
    return ds;
  }

  /**
   * The name of the schema a URL from {@link #newDatabaseUrl()} works in.
   *
   * @param url the URL
   * @return the schema name
   * @throws IllegalArgumentException when the URL is not one of this server's test schemas
   */
  public String schemaOf(String url) {
    Matcher m = Pattern.compile("currentSchema=(" + SCHEMA_PREFIX + "[0-9a-f_]+)").matcher(url);
    if (!m.find() || !SCHEMA.matcher(m.group(1)).matches()) {
      throw new IllegalArgumentException("not a test schema url: " + DatabaseUrl.redact(url));
    }
    return m.group(1);
  }

  /** Creates the extension once, drops schemas a killed run left behind, returns its schema. */
  private String prepare() {
    try (Connection c = dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("create extension if not exists vector");
      String schema;
      try (ResultSet r =
          s.executeQuery(
              "select n.nspname from pg_extension e join pg_namespace n"
                  + " on n.oid = e.extnamespace where e.extname = 'vector'")) {
        r.next();
        schema = r.getString(1);
      }
      List<String> stale = new ArrayList<>();
      try (ResultSet r =
          s.executeQuery(
              "select nspname from pg_namespace where nspname like '" + SCHEMA_PREFIX + "%'")) {
        long cutoff = Instant.now().minus(STALE).getEpochSecond();
        while (r.next()) {
          Matcher m = SCHEMA.matcher(r.getString(1));
          if (m.matches() && Long.parseLong(m.group(1)) < cutoff) {
            stale.add(m.group());
          }
        }
      }
      for (String name : stale) {
        s.execute("drop schema if exists " + name + " cascade");
      }
      List<String> staleDatabases = new ArrayList<>();
      try (ResultSet r =
          s.executeQuery(
              "select datname from pg_database where datname like '" + SCHEMA_PREFIX + "%'")) {
        long cutoff = Instant.now().minus(STALE).getEpochSecond();
        while (r.next()) {
          Matcher m = SCHEMA.matcher(r.getString(1));
          if (m.matches() && Long.parseLong(m.group(1)) < cutoff) {
            staleDatabases.add(m.group());
          }
        }
      }
      for (String name : staleDatabases) {
        s.execute("drop database if exists " + name + " with (force)");
      }
      return schema;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot prepare the test server "
              + description
              + " (it needs PostgreSQL 15 or newer with pgvector 0.8 installed): "
              + e.getMessage(),
          e);
    }
  }

  private void execute(String sql) {
    try (Connection c = dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test server " + description + ": " + e.getMessage(), e);
    }
  }

  private PGSimpleDataSource dataSource() {
    DatabaseUrl url = DatabaseUrl.parse(baseUrl);
    if (url.kind() != DatabaseUrl.Kind.POSTGRES) {
      throw new IllegalStateException(URL_VARIABLE + " is not a PostgreSQL url: " + description);
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {url.host().orElseThrow()});
    ds.setPortNumbers(new int[] {url.port()});
    ds.setDatabaseName(url.database().orElse("postgres"));
    url.user().ifPresent(ds::setUser);
    url.password().ifPresent(ds::setPassword);
    for (Map.Entry<String, String> option : url.options().entrySet()) {
      String key = option.getKey().toLowerCase(Locale.ROOT);
      if (key.equals("currentschema")) {
        throw new IllegalStateException(
            URL_VARIABLE + " must not set currentSchema: each test gets a schema of its own");
      }
      if (key.startsWith("ssl")) {
        try {
          ds.setProperty(option.getKey(), option.getValue());
        } catch (SQLException e) {
          throw new IllegalStateException("bad " + option.getKey() + " in " + description, e);
        }
      }
    }
    return ds;
  }

  /** The Testcontainers fallback: one container for the whole JVM, removed by Ryuk at exit. */
  private static final class Container {
    static PostgresTestServer start() {
      PostgreSQLContainer<?> container =
          new PostgreSQLContainer<>(
              DockerImageName.parse(IMAGE).asCompatibleSubstituteFor("postgres"));
      container.start();
      String url =
          "postgres://"
              + container.getUsername()
              + ":"
              + container.getPassword()
              + "@"
              + container.getHost()
              + ":"
              + container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT)
              + "/"
              + container.getDatabaseName();
      return new PostgresTestServer(
          url, DatabaseUrl.redact(url) + " (Testcontainers " + IMAGE + ")");
    }
  }
}
