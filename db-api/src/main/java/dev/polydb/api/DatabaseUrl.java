package dev.polydb.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
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
 *
 * <p>A Postgres URL must name its database, and must percent-encode spaces and the characters
 * {@code @ : / ? # &} inside a user name, password or database name. An IPv6 host is written in
 * brackets ({@code [::1]}) and comes back without them from {@link #host()}. The query options the
 * library knows have their values checked here, so a typo is a {@link DbConfigException} before any
 * connection is tried.
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

  private static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
  private static final Set<String> TARGET_SESSION_ATTRS =
      Set.of("any", "read-write", "read-only", "primary", "standby", "prefer-standby");
  private static final Set<String> TARGET_SERVER_TYPES =
      Set.of(
          "any",
          "primary",
          "master",
          "secondary",
          "slave",
          "preferprimary",
          "prefersecondary",
          "preferslave");

  /** The Postgres query options the library knows (lower case) and the rule for their values. */
  private static final Map<String, Option> POSTGRES_OPTIONS =
      Map.ofEntries(
          option("sslmode", oneOf(SSL_MODES), String.join(", ", sorted(SSL_MODES))),
          option("ssl", oneOf(Set.of("true", "false")), "true or false"),
          option("sslrootcert", DatabaseUrl::printable, "a file path"),
          option("sslcert", DatabaseUrl::printable, "a file path"),
          option("sslkey", DatabaseUrl::printable, "a file path"),
          option("sslpassword", v -> true, ""),
          option("application_name", DatabaseUrl::printable, "printable text"),
          option("applicationname", DatabaseUrl::printable, "printable text"),
          option("connect_timeout", DatabaseUrl::seconds, "whole seconds, 0 to 86400"),
          option("connecttimeout", DatabaseUrl::seconds, "whole seconds, 0 to 86400"),
          option("sockettimeout", DatabaseUrl::seconds, "whole seconds, 0 to 86400"),
          option("options", DatabaseUrl::printable, "printable text"),
          option(
              "target_session_attrs",
              oneOf(TARGET_SESSION_ATTRS),
              String.join(", ", sorted(TARGET_SESSION_ATTRS))),
          option(
              "targetservertype",
              oneOf(TARGET_SERVER_TYPES),
              String.join(", ", sorted(TARGET_SERVER_TYPES))),
          option("currentschema", DatabaseUrl::printable, "printable text"),
          option("user", v -> !v.isEmpty(), "a user name"),
          option("password", v -> true, ""));

  private static final String KNOWN_OPTIONS =
      "sslmode, ssl, sslrootcert, sslcert, sslkey, sslpassword, application_name, connect_timeout,"
          + " sockettimeout, options, target_session_attrs, currentSchema, user, password";

  /** A scheme, as URLs spell it. */
  private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.\\-]*):");

  /**
   * Where credentials may begin in any string a user passes as a URL: after a scheme ({@code
   * postgres:}, {@code jdbc:postgresql:}), or a scheme-like word before a slash (the colon
   * forgotten: {@code postgres//}), and the slashes. One scheme at most after {@code jdbc:}: a
   * password may itself look like {@code word:}.
   */
  private static final Pattern PREFIX =
      Pattern.compile(
          "\\s*(?:(?i:jdbc):)?(?:[A-Za-z][A-Za-z0-9+.\\-]*:|[A-Za-z][A-Za-z0-9+.\\-]*(?=/))?/*");

  /** A query parameter whose value is a secret, by its decoded name. */
  private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(pass|pwd|secret|token).*");

  /**
   * A parameter name and its {@code =} in the strings the redactor reads: the run of characters
   * before each {@code =} that are not separators, wherever it stands (a lost {@code &} must not
   * hide {@code password=}).
   */
  private static final Pattern PARAMETER_START = Pattern.compile("[^?&;\\s=]*=");

  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._\\-]+");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._~\\-]+)?");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  private static final String MASK = "***";

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
   * @throws DbConfigException naming the problem and the accepted forms; no other exception
   *     escapes, whatever the input
   */
  public static DatabaseUrl parse(String url) {
    String u = url == null ? "" : url.strip();
    try {
      return parseStripped(u);
    } catch (DbConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      // a rule this parser lacks must still come out as a configuration error, without the input
      throw problem(u, "cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static DatabaseUrl parseStripped(String u) {
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
        throw problem(u, "missing host (jdbc:postgresql://host:port/db)");
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
    Matcher scheme = SCHEME.matcher(u);
    if (scheme.lookingAt()) {
      throw problem(u, "unknown scheme " + quote(u, scheme.group(1)));
    }
    throw problem(u, "has no scheme");
  }

  /**
   * Masks the credentials in any string a user may pass as a URL, of a known form or not: whatever
   * lies between a scheme-like prefix and the last {@code @}, user name included; what follows a
   * colon when it is not a port number (a password that lost its {@code @}); and the value of every
   * query parameter whose name, decoded, speaks of a password or a secret ({@code password=},
   * {@code sslpassword=}, {@code pass%77ord=}). When in doubt it masks more.
   *
   * @param url the URL
   * @return the URL with its credentials replaced by {@code ***}
   */
  public static String redact(String url) {
    if (url == null) {
      return "";
    }
    // parameters first: a secret value may hold an '@' that must not be taken for the credentials'
    String masked = maskParameters(url);
    Matcher prefix = PREFIX.matcher(masked);
    int start = prefix.lookingAt() ? prefix.end() : 0;
    int at = masked.lastIndexOf('@');
    StringBuilder out = new StringBuilder(masked.length());
    out.append(masked, 0, start);
    int rest = start;
    if (at >= start) {
      // the user name too: in a malformed URL no one can tell where it ends
      out.append(MASK).append('@');
      rest = at + 1;
    } else if (start > 0 && !masked.substring(0, start).contains("/") && !opaque(masked, start)) {
      // "postgresalice:password/app": a scheme no backend knows, with no "//" and no "@", may be
      // a user name that swallowed its scheme's "://" and the password that follows its colon
      return out.append(MASK).toString();
    }
    // "user:password" that lost its "@" reads as host:port: what follows a colon that is not a
    // port may be the password, and it runs to the end as far as anyone can tell
    int colon = passwordColon(masked, rest);
    return colon >= 0
        ? out.append(masked, rest, colon + 1).append(MASK).toString()
        : out.append(masked, rest, masked.length()).toString();
  }

  /** Whether the prefix is a known scheme whose rest is a path or a name, not credentials. */
  private static boolean opaque(String text, int prefixEnd) {
    String scheme = text.substring(0, prefixEnd).strip().toLowerCase(Locale.ROOT);
    return scheme.equals("sqlite:")
        || scheme.equals("file:")
        || scheme.equals("jdbc:sqlite:")
        || scheme.equals("jdbc:postgresql:");
  }

  /**
   * The first colon after {@code from}, outside brackets, followed by something that is neither
   * empty nor a port number; -1 when there is none or the rest is SQLite's {@code :memory:}.
   */
  private static int passwordColon(String text, int from) {
    if (text.substring(from).equals(":memory:")) {
      return -1;
    }
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      int close = c == '[' ? text.indexOf(']', i) : -1;
      if (close > 0 && IPV6.matcher(text.substring(i + 1, close)).matches()) {
        i = close; // an IPv6 literal's colons are its own
      } else if (c == ':') {
        String port = text.substring(i + 1, indexOfAny(text, "/?#", i + 1));
        if (!port.isEmpty() && !PORT.matcher(port).matches()) {
          return i;
        }
      }
    }
    return -1;
  }

  /** Masks the value of each secret query parameter in {@code text}. */
  private static String maskParameters(String text) {
    Matcher m = PARAMETER_START.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int copied = 0;
    int from = 0;
    while (from <= text.length() && m.find(from)) {
      String name = text.substring(m.start(), m.end() - 1);
      if (!SECRET_NAME.matcher(lenientDecode(name)).matches()) {
        from = m.end();
        continue;
      }
      int valueEnd = secretValueEnd(text, m.end());
      out.append(text, copied, m.end()).append(MASK);
      copied = valueEnd;
      from = valueEnd;
    }
    return out.append(text, Math.min(copied, text.length()), text.length()).toString();
  }

  /**
   * Where the redactor takes a secret value that starts at {@code from} to end: at the next
   * separator that is followed by a known option and {@code =}, or at the end. A secret with an
   * unencoded {@code &} in it is thus masked whole (the parser refuses it).
   */
  private static int secretValueEnd(String text, int from) {
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c == '&' || c == ';' || Character.isWhitespace(c)) && startsKnownOption(text, i + 1)) {
        return i;
      }
    }
    return text.length();
  }

  private static boolean startsKnownOption(String text, int at) {
    int eq = text.indexOf('=', at);
    if (eq < 0) {
      return false;
    }
    String name = lenientDecode(text.substring(at, eq)).toLowerCase(Locale.ROOT);
    return POSTGRES_OPTIONS.containsKey(name);
  }

  private static DbConfigException problem(String url, String what) {
    return new DbConfigException(
        "database url "
            + what
            + ": "
            // control characters would garble the log line this message ends up in
            + redact(url).replaceAll("\\p{Cntrl}", "?")
            + "; accepted forms: "
            + ACCEPTED_FORMS
            + " (or leave DATABASE_URL unset for "
            + DEFAULT_SQLITE_PATH
            + ")");
  }

  /**
   * A piece of the URL quoted for a message, but only when the redacted URL shows it anyway: a
   * piece the parser took for something else may be part of a secret.
   */
  private static String quote(String url, String piece) {
    return redact(url).contains(piece)
        ? "'" + piece + "'"
        : "(not shown: it may be part of a password, in which '&', '@' and '/' must be"
            + " percent-encoded)";
  }

  private static DatabaseUrl sqlite(String raw, String location) {
    String loc = location;
    int q = loc.indexOf('?');
    if (q >= 0) {
      String query = loc.substring(q + 1);
      if (!query.isEmpty()) {
        int end = indexOfAny(query, "=&", 0);
        throw problem(
            raw,
            "unknown query option " + quote(raw, query.substring(0, end)) + " (SQLite takes none)");
      }
      loc = loc.substring(0, q);
    }
    if (loc.isBlank()) {
      throw problem(raw, "missing SQLite file path");
    }
    if (loc.indexOf('\0') >= 0) {
      throw problem(raw, "SQLite path holds a NUL character");
    }
    Path path;
    try {
      path = ":memory:".equals(loc) ? null : Path.of(loc);
    } catch (InvalidPathException e) {
      throw problem(raw, "SQLite path is not a valid file path on this system");
    }
    return new DatabaseUrl(Kind.SQLITE, redact(raw), path, null, 0, null, null, null, Map.of());
  }

  private static DatabaseUrl postgres(String raw, String rest, boolean libpq) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c <= ' ' || c == 0x7f || Character.isWhitespace(c)) {
        throw problem(
            raw, "holds a space or control character: percent-encode it (a space is %20)");
      }
    }
    String user = null;
    String password = null;
    int at = credentialsEnd(rest);
    if (at >= 0) {
      String info = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int c = info.indexOf(':');
      user = decode(raw, c >= 0 ? info.substring(0, c) : info, "user");
      password = c >= 0 ? decode(raw, info.substring(c + 1), "password") : null;
    }
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    if (rest.indexOf('#') >= 0 || rest.indexOf('@') >= 0) {
      throw problem(
          raw, "holds an unencoded '#' or '@' after the credentials: percent-encode it (%23, %40)");
    }
    int slash = rest.indexOf('/');
    String hostPort = slash >= 0 ? rest.substring(0, slash) : rest;
    String database = slash >= 0 ? decode(raw, rest.substring(slash + 1), "database") : "";
    String host = hostPort;
    int port = 5432;
    int portColon = portColon(hostPort);
    if (portColon >= 0) {
      host = hostPort.substring(0, portColon);
      String p = hostPort.substring(portColon + 1);
      // the value is not shown: a password that lost its "@" lands here
      if (!PORT.matcher(p).matches() || Integer.parseInt(p) < 1 || Integer.parseInt(p) > 65535) {
        throw problem(raw, "bad port: it must be a number from 1 to 65535");
      }
      port = Integer.parseInt(p);
    }
    if (host.isEmpty()) {
      throw problem(raw, "missing host");
    }
    if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
      host = host.substring(1, host.length() - 1);
      if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
        throw problem(raw, "bad IPv6 host " + quote(raw, host));
      }
    } else if (!HOST_NAME.matcher(host).matches()) {
      throw problem(raw, "bad host " + quote(raw, host) + " (IPv6 goes in brackets: [::1])");
    }
    if (database.isEmpty()) {
      throw problem(
          raw,
          "missing database name: add it after the host ("
              + (libpq ? "postgres://user:pass@host:5432/db" : "jdbc:postgresql://host:5432/db")
              + ")");
    }
    Map<String, String> options = new LinkedHashMap<>();
    boolean userInQuery = false;
    boolean passwordInQuery = false;
    int i = 0;
    while (i < query.length()) {
      int keyEnd = indexOfAny(query, "=&", i);
      String rawKey = query.substring(i, keyEnd);
      String key = decode(raw, rawKey, "query option name");
      String lowerKey = key.toLowerCase(Locale.ROOT);
      boolean hasValue = keyEnd < query.length() && query.charAt(keyEnd) == '=';
      // every '&' separates: a password with one in it must encode it (%26); the redactor masks
      // more than this takes for the password, so a piece after such an '&' is never shown
      int valueEnd = hasValue ? indexOfAny(query, "&", keyEnd + 1) : keyEnd;
      String rawValue = hasValue ? query.substring(keyEnd + 1, valueEnd) : "";
      i = valueEnd + 1;
      if (rawKey.isEmpty() && rawValue.isEmpty()) {
        continue;
      }
      Option option = POSTGRES_OPTIONS.get(lowerKey);
      if (option == null) {
        throw problem(
            raw, "unknown query option " + quote(raw, rawKey) + " (known: " + KNOWN_OPTIONS + ")");
      }
      if (!hasValue) {
        throw problem(raw, "query option " + quote(raw, rawKey) + " has no value");
      }
      boolean secret = SECRET_NAME.matcher(key).matches();
      String value = decode(raw, rawValue, secret ? "query option value" : lowerKey);
      if (!option.valid().test(value)) {
        throw problem(
            raw,
            "query option "
                + lowerKey
                + " must be "
                + option.expected()
                + ": "
                + quote(raw, rawValue));
      }
      boolean repeated =
          switch (lowerKey) {
            case "user" -> userInQuery;
            case "password" -> passwordInQuery;
            default -> options.keySet().stream().anyMatch(key::equalsIgnoreCase);
          };
      if (repeated) {
        throw problem(raw, "query option " + lowerKey + " is given twice");
      }
      switch (lowerKey) {
        case "user" -> {
          user = value;
          userInQuery = true;
        }
        case "password" -> {
          password = value;
          passwordInQuery = true;
        }
        default -> options.put(key, value);
      }
    }
    return new DatabaseUrl(
        Kind.POSTGRES, redact(raw), null, host, port, database, user, password, options);
  }

  /**
   * Where the user and password end: the last {@code @}, so that a password with an unencoded
   * {@code / ? # @} in it is taken whole, unless that {@code @} lies in the value of a known query
   * option ({@code ?application_name=me@host}); then the one before it. {@code -1} for none.
   */
  private static int credentialsEnd(String rest) {
    for (int at = rest.lastIndexOf('@'); at >= 0; at = rest.lastIndexOf('@', at - 1)) {
      if (!insideKnownQuery(rest.substring(0, at))) {
        return at;
      }
      if (at == 0) {
        break;
      }
    }
    return -1;
  }

  private static boolean insideKnownQuery(String before) {
    for (int i = before.indexOf('?'); i >= 0; i = indexOfAnyOrMinus(before, "?&", i + 1)) {
      if (startsKnownOption(before, i + 1)) {
        return true;
      }
    }
    return false;
  }

  /** The colon before a port in {@code host:port} or {@code [v6]:port}, or -1. */
  private static int portColon(String hostPort) {
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      if (close < 0) {
        return -1;
      }
      return hostPort.indexOf(':', close) == close + 1 ? close + 1 : -1;
    }
    return hostPort.indexOf(':');
  }

  private static int indexOfAny(String s, String chars, int from) {
    int i = indexOfAnyOrMinus(s, chars, from);
    return i < 0 ? s.length() : i;
  }

  private static int indexOfAnyOrMinus(String s, String chars, int from) {
    for (int i = Math.max(0, from); i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  /** Percent-decodes a part of the URL; {@code +} stays a plus, as libpq reads it. */
  private static String decode(String raw, String s, String what) {
    try {
      return percentDecode(s, true);
    } catch (IllegalArgumentException e) {
      throw problem(raw, "bad percent-encoding in the " + what + " (use %XX with hex digits)");
    }
  }

  /** Decodes what it can and leaves a malformed escape as written; for recognising names only. */
  private static String lenientDecode(String s) {
    return percentDecode(s, false);
  }

  private static String percentDecode(String s, boolean strict) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
        int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
        if (hi >= 0 && lo >= 0) {
          bytes.write(hi * 16 + lo);
          i += 2;
          continue;
        }
        if (strict) {
          throw new IllegalArgumentException("bad escape");
        }
      }
      if (bytes.size() > 0) {
        out.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
        bytes.reset();
      }
      out.append(c);
    }
    if (bytes.size() > 0) {
      out.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  private record Option(Predicate<String> valid, String expected) {}

  private static Map.Entry<String, Option> option(
      String name, Predicate<String> valid, String expected) {
    return Map.entry(name, new Option(valid, expected));
  }

  private static Predicate<String> oneOf(Set<String> values) {
    return v -> values.contains(v.toLowerCase(Locale.ROOT));
  }

  private static java.util.List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }

  private static boolean printable(String v) {
    return v.chars().noneMatch(c -> c < ' ' || c == 0x7f);
  }

  private static boolean seconds(String v) {
    return v.matches("[0-9]{1,5}") && Integer.parseInt(v) <= 86_400;
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
   * The Postgres host, without brackets for IPv6; empty for SQLite.
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
   * password, their values checked.
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
