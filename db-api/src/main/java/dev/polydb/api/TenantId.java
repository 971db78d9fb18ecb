package dev.polydb.api;

import java.util.Objects;
import java.util.Set;

/**
 * A tenant's id, checked once and never normalised: a lower-case ASCII letter first, then
 * lower-case ASCII letters, digits and {@code _}; the schema it names ({@code prefix + id}) within
 * PostgreSQL's 63 bytes; and neither the id nor the schema a name PostgreSQL reserves ({@code
 * public}, {@code information_schema}, {@code pg_…}, a reserved key word). Anything else is refused
 * with a {@link DbValidationException} that names the rule broken, never the id (it may hold
 * anything). The same id names the tenant's SQLite file.
 */
public final class TenantId {
  /** The schema prefix when none is configured. */
  public static final String DEFAULT_PREFIX = "tenant_";

  /** PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1). */
  public static final int MAX_NAME_BYTES = 63;

  /** The rule an id must match, as the messages state it. */
  public static final String PATTERN = "[a-z][a-z0-9_]*";

  /** PostgreSQL's reserved key words (its documentation's appendix C, "reserved"). */
  private static final Set<String> RESERVED =
      Set.of(
          "all",
          "analyse",
          "analyze",
          "and",
          "any",
          "array",
          "as",
          "asc",
          "asymmetric",
          "authorization",
          "binary",
          "both",
          "case",
          "cast",
          "check",
          "collate",
          "collation",
          "column",
          "concurrently",
          "constraint",
          "create",
          "cross",
          "current_catalog",
          "current_date",
          "current_role",
          "current_schema",
          "current_time",
          "current_timestamp",
          "current_user",
          "default",
          "deferrable",
          "desc",
          "distinct",
          "do",
          "else",
          "end",
          "except",
          "false",
          "fetch",
          "for",
          "foreign",
          "freeze",
          "from",
          "full",
          "grant",
          "group",
          "having",
          "ilike",
          "in",
          "initially",
          "inner",
          "intersect",
          "into",
          "is",
          "isnull",
          "join",
          "lateral",
          "leading",
          "left",
          "like",
          "limit",
          "localtime",
          "localtimestamp",
          "natural",
          "not",
          "notnull",
          "null",
          "offset",
          "on",
          "only",
          "or",
          "order",
          "outer",
          "overlaps",
          "placing",
          "primary",
          "references",
          "returning",
          "right",
          "select",
          "session_user",
          "similar",
          "some",
          "symmetric",
          "system_user",
          "table",
          "tablesample",
          "then",
          "to",
          "trailing",
          "true",
          "union",
          "unique",
          "user",
          "using",
          "variadic",
          "verbose",
          "when",
          "where",
          "window",
          "with");

  private final String value;

  private TenantId(String value) {
    this.value = value;
  }

  /**
   * Checks an id against the rules, for the default prefix.
   *
   * @param id the id
   * @return the id
   * @throws DbValidationException naming the rule the id breaks
   */
  public static TenantId of(String id) {
    return of(id, DEFAULT_PREFIX);
  }

  /**
   * Checks an id against the rules, for a schema prefix.
   *
   * @param id the id
   * @param prefix the schema prefix, itself {@value #PATTERN} or empty
   * @return the id
   * @throws DbValidationException naming the rule the id (or the prefix) breaks
   */
  public static TenantId of(String id, String prefix) {
    checkPrefix(prefix);
    if (id == null) {
      throw new DbValidationException("tenant", "must not be null");
    }
    if (!plain(id)) {
      throw new DbValidationException(
          "tenant",
          "must match "
              + PATTERN
              + ": a lower-case ASCII letter first, then lower-case ASCII letters, digits and _");
    }
    if (prefix.length() + id.length() > MAX_NAME_BYTES) {
      throw new DbValidationException(
          "tenant",
          "must be at most "
              + (MAX_NAME_BYTES - prefix.length())
              + " characters, so that its schema ("
              + prefix
              + "<id>) fits PostgreSQL's "
              + MAX_NAME_BYTES
              + " bytes");
    }
    if (reserved(id) || reserved(prefix + id)) {
      throw new DbValidationException(
          "tenant",
          "must not be, or make a schema named, public, information_schema, pg_… or a reserved"
              + " key word");
    }
    return new TenantId(id);
  }

  private static void checkPrefix(String prefix) {
    if (prefix == null || !(prefix.isEmpty() || plain(prefix)) || prefix.startsWith("pg_")) {
      throw new DbValidationException(
          "tenant prefix", "must be empty or match " + PATTERN + ", and not start with pg_");
    }
    if (prefix.length() >= MAX_NAME_BYTES) {
      throw new DbValidationException(
          "tenant prefix", "must be shorter than " + MAX_NAME_BYTES + " characters");
    }
  }

  /** {@value #PATTERN}, by hand: no regular expression, no locale, ASCII only. */
  private static boolean plain(String s) {
    if (s.isEmpty() || s.charAt(0) < 'a' || s.charAt(0) > 'z') {
      return false;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private static boolean reserved(String name) {
    return name.equals("public")
        || name.equals("information_schema")
        || name.startsWith("pg_")
        || RESERVED.contains(name);
  }

  /**
   * The id.
   *
   * @return the id as given
   */
  public String value() {
    return value;
  }

  /**
   * The tenant's schema on PostgreSQL.
   *
   * @param prefix the configured prefix
   * @return {@code prefix + id}, a plain identifier
   * @throws DbValidationException when the prefix, or the schema name, breaks the rules
   */
  public String schema(String prefix) {
    return prefix + of(value, prefix).value;
  }

  /**
   * The schema name, quoted for SQL. Quoting a plain name changes nothing, and it keeps a name from
   * ever being read as a key word.
   *
   * @param prefix the configured prefix
   * @return e.g. {@code "tenant_acme"}
   */
  public String quotedSchema(String prefix) {
    return '"' + schema(prefix) + '"';
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TenantId other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
