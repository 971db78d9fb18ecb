package dev.polydb.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A parsed {@code DATABASE_URL} of one of the forms the built-in backends accept. Its {@link
 * #toString()} and {@link #redacted()} never show the password.
 *
 * <ul>
 *   <li>{@code postgres://user:pass@host:5432/db?sslmode=require} and {@code postgresql://…}
 *   <li>{@code jdbc:postgresql://host:5432/db?user=…&password=…}
 *   <li>{@code sqlite:relative/or/absolute.db}, {@code sqlite::memory:}
 *   <li>{@code jdbc:sqlite:path.db}, {@code jdbc:sqlite::memory:}
 *   <li>{@code file:path.db}
 * </ul>
 */
public final class DatabaseUrl {

  /** The forms accepted, for error messages. */
  public static final String ACCEPTED_FORMS =
      "postgres://user:pass@host:port/db, postgresql://…, jdbc:postgresql://host:port/db,"
          + " sqlite:path.db, sqlite::memory:, jdbc:sqlite:path.db, file:path.db";

  /**
   * Where SQLite lives when {@code DATABASE_URL} is unset or empty, relative to the working dir.
   */
  public static final String DEFAULT_SQLITE_PATH = "data/polydb.db";

  private static final Set<String> POSTGRES_OPTIONS =
      Set.of(
          "sslmode",
          "sslrootcert",
          "sslcert",
          "sslkey",
          "sslpassword",
          "application_name",
          "applicationname",
          "connect_timeout",
          "connecttimeout",
          "sockettimeout",
          "options",
          "target_session_attrs",
          "targetservertype",
          "currentschema",
          "ssl",
          "user",
          "password");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\]");
  private static final Pattern PASSWORD_PARAM =
      Pattern.compile("(?i)((?:^|[?&;])(?:password|sslpassword)=)[^&;]*");

  /** The kind of database a URL names. */
  public enum Kind {
    /** A SQLite file or in-memory database. */
    SQLITE,
    /** A PostgreSQL server. */
    POSTGRES
  }

  private final Kind kind;
  private final String redacted;
  private final Path sqlitePath;
  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;
  private final Map<String, String> options;

  private DatabaseUrl(
      Kind kind,
      String redacted,
      Path sqlitePath,
      String host,
      int port,
      String database,
      String user,
      String password,
      Map<String, String> options) {
    this.kind = kind;
    this.redacted = redacted;
    this.sqlitePath = sqlitePath;
    this.host = host;
    this.port = port;
    this.database = database;
    this.user = user;
    this.password = password;
    this.options = Map.copyOf(options);
  }

  /**
   * Whether the URL uses a scheme the built-in backends know, so that {@link #parse} will either
   * accept it or explain what is wrong with it.
   *
   * @param url the URL
   * @return {@code true} for {@code postgres:}, {@code postgresql:}, {@code jdbc:postgresql:},
   *     {@code sqlite:}, {@code jdbc:sqlite:} and {@code file:}
   */
  public static boolean isKnownScheme(String url) {
    if (url == null) {
      return false;
    }
    String u = url.strip().toLowerCase(Locale.ROOT);
    return u.isEmpty()
        || u.startsWith("postgres://")
        || u.startsWith("postgresql://")
        || u.startsWith("jdbc:postgresql:")
        || u.startsWith("sqlite:")
        || u.startsWith("jdbc:sqlite:")
        || u.startsWith("file:");
  }

  /**
   * Parses a URL; {@code null} or empty means the default SQLite file.
   *
   * @param url the URL
   * @return the parsed URL
   * @throws DbConfigException naming the problem and the accepted forms
   */
  public static DatabaseUrl parse(String url) {
    String u = url == null ? "" : url.strip();
    if (u.isEmpty()) {
      return sqlite("sqlite:" + DEFAULT_SQLITE_PATH, DEFAULT_SQLITE_PATH);
    }
    String lower = u.toLowerCase(Locale.ROOT);
    if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
      return postgres(u, u.substring(u.indexOf("://") + 3), true);
    }
    if (lower.startsWith("jdbc:postgresql:")) {
      String rest = u.substring("jdbc:postgresql:".length());
      if (!rest.startsWith("//")) {
        throw problem(u, "missing host");
      }
      return postgres(u, rest.substring(2), false);
    }
    if (lower.startsWith("jdbc:sqlite:")) {
      return sqlite(u, u.substring("jdbc:sqlite:".length()));
    }
    if (lower.startsWith("sqlite:")) {
      String rest = u.substring("sqlite:".length());
      return sqlite(u, rest.startsWith("//") ? rest.substring(2) : rest);
    }
    if (lower.startsWith("file:")) {
      String rest = u.substring("file:".length());
      return sqlite(u, rest.startsWith("//") ? rest.substring(2) : rest);
    }
    int colon = u.indexOf(':');
    String scheme = colon > 0 ? u.substring(0, colon) : u;
    throw problem(u, "unknown scheme '" + scheme + "'");
  }

  /**
   * Masks the password in any URL, known form or not.
   *
   * @param url the URL
   * @return the URL with its password replaced by {@code ***}
   */
  public static String redact(String url) {
    if (url == null) {
      return "";
    }
    String masked = url;
    // everything between "scheme://user:" and the last '@' is the password, even when it holds
    // characters that should have been percent-encoded ('/', '?', '#', '@')
    int authority = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (authority >= 0 && at > authority) {
      String info = url.substring(authority + 3, at);
      int colon = info.indexOf(':');
      if (colon >= 0) {
        masked =
            url.substring(0, authority + 3)
                + info.substring(0, colon + 1)
                + "***"
                + url.substring(at);
      }
    }
    return PASSWORD_PARAM.matcher(masked).replaceAll("$1***");
  }

  private static DbConfigException problem(String url, String what) {
    return new DbConfigException(
        "database url "
            + what
            + ": "
            + redact(url)
            + "; accepted forms: "
            + ACCEPTED_FORMS
            + " (or leave DATABASE_URL unset for "
            + DEFAULT_SQLITE_PATH
            + ")");
  }

  private static DatabaseUrl sqlite(String raw, String location) {
    String loc = location;
    int q = loc.indexOf('?');
    if (q >= 0) {
      String query = loc.substring(q + 1);
      if (!query.isEmpty()) {
        throw problem(
            raw, "unknown query option '" + query.split("[=&]")[0] + "' (SQLite takes none)");
      }
      loc = loc.substring(0, q);
    }
    if (loc.isBlank()) {
      throw problem(raw, "missing SQLite file path");
    }
    if (loc.indexOf('\0') >= 0) {
      throw problem(raw, "SQLite path holds a NUL character");
    }
    Path path = ":memory:".equals(loc) ? null : Path.of(loc);
    return new DatabaseUrl(Kind.SQLITE, redact(raw), path, null, 0, null, null, null, Map.of());
  }

  private static DatabaseUrl postgres(String raw, String rest, boolean libpq) {
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    String user = null;
    String password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String info = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int c = info.indexOf(':');
      user = decode(raw, c >= 0 ? info.substring(0, c) : info);
      password = c >= 0 ? decode(raw, info.substring(c + 1)) : null;
    }
    int slash = rest.indexOf('/');
    String hostPort = slash >= 0 ? rest.substring(0, slash) : rest;
    String database = slash >= 0 ? decode(raw, rest.substring(slash + 1)) : "";
    String host = hostPort;
    int port = 5432;
    int portColon = hostPort.lastIndexOf(':');
    if (portColon >= 0 && !hostPort.endsWith("]")) {
      host = hostPort.substring(0, portColon);
      String p = hostPort.substring(portColon + 1);
      try {
        port = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw problem(raw, "bad port '" + p + "'");
      }
      if (port < 1 || port > 65535) {
        throw problem(raw, "bad port '" + p + "' (1 to 65535)");
      }
    }
    if (host.isEmpty()) {
      throw problem(raw, "missing host");
    }
    if (!HOST.matcher(host).matches()) {
      throw problem(raw, "bad host '" + host + "'");
    }
    if (database.isEmpty()) {
      database = libpq && user != null ? user : "postgres";
    }
    Map<String, String> options = new LinkedHashMap<>();
    if (!query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = decode(raw, eq >= 0 ? pair.substring(0, eq) : pair);
        String value = eq >= 0 ? decode(raw, pair.substring(eq + 1)) : "";
        if (!POSTGRES_OPTIONS.contains(key.toLowerCase(Locale.ROOT))) {
          throw problem(
              raw,
              "unknown query option '"
                  + key
                  + "' (known: sslmode, sslrootcert, sslcert, sslkey, application_name,"
                  + " connect_timeout, options, target_session_attrs, currentSchema, user,"
                  + " password)");
        }
        if (key.equalsIgnoreCase("user")) {
          user = value;
        } else if (key.equalsIgnoreCase("password")) {
          password = value;
        } else {
          options.put(key, value);
        }
      }
    }
    return new DatabaseUrl(
        Kind.POSTGRES, redact(raw), null, host, port, database, user, password, options);
  }

  private static String decode(String raw, String s) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw problem(raw, "bad percent-encoding");
    }
  }

  /**
   * The kind of database.
   *
   * @return SQLite or Postgres
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The SQLite file, empty for an in-memory database or a Postgres URL.
   *
   * @return the path as written (relative paths resolve against the working directory)
   */
  public Optional<Path> sqlitePath() {
    return Optional.ofNullable(sqlitePath);
  }

  /**
   * Whether this is an in-memory SQLite database.
   *
   * @return {@code true} for {@code sqlite::memory:}
   */
  public boolean inMemory() {
    return kind == Kind.SQLITE && sqlitePath == null;
  }

  /**
   * The Postgres host, empty for SQLite.
   *
   * @return the host
   */
  public Optional<String> host() {
    return Optional.ofNullable(host);
  }

  /**
   * The Postgres port (5432 when not given), 0 for SQLite.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * The Postgres database name, empty for SQLite.
   *
   * @return the database
   */
  public Optional<String> database() {
    return Optional.ofNullable(database);
  }

  /**
   * The decoded user name, if given.
   *
   * @return the user
   */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /**
   * The decoded password, if given. Handle with care: never log it.
   *
   * @return the password
   */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /**
   * Postgres connection options from the query string (sslmode and the like), without user and
   * password.
   *
   * @return the options, in the order given
   */
  public Map<String, String> options() {
    return options;
  }

  /**
   * The URL with its password masked, safe to log.
   *
   * @return the redacted URL
   */
  public String redacted() {
    return redacted;
  }

  @Override
  public String toString() {
    return redacted;
  }
}
