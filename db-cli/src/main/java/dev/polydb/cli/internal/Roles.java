package dev.polydb.cli.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;

/**
 * The four roles of a PostgreSQL production (owner, app, read-only, import): the SQL that makes
 * them, and the audit of a role against the one it claims to be. See docs/production.md.
 */
public final class Roles {
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final List<String> TABLE_PRIVILEGES =
      List.of("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER");

  /** Predefined roles that reach the server's files, programs or every table. */
  private static final List<String> POWERFUL_ROLES =
      List.of(
          "pg_read_server_files",
          "pg_write_server_files",
          "pg_execute_server_program",
          "pg_read_all_data",
          "pg_write_all_data");

  /** What a role is for. */
  public enum Kind {
    /** Owns the schema and its tables; runs migrations and restores. */
    OWNER("owner", Set.of()),
    /** The application: reads and writes the library's tables, no DDL. */
    APP("app", Set.of("SELECT", "INSERT", "UPDATE", "DELETE")),
    /** Reads only; {@code default_transaction_read_only} is on. */
    READONLY("readonly", Set.of("SELECT")),
    /** Imports exports: INSERT and SELECT only. */
    IMPORT("import", Set.of("SELECT", "INSERT"));

    private final String suffix;
    private final Set<String> tablePrivileges;

    Kind(String suffix, Set<String> tablePrivileges) {
      this.suffix = suffix;
      this.tablePrivileges = tablePrivileges;
    }

    /**
     * The word used on the command line and in role names.
     *
     * @return e.g. {@code readonly}
     */
    public String word() {
      return suffix;
    }

    /**
     * The environment variable a password may come from.
     *
     * @return e.g. {@code POLYDB_READONLY_PASSWORD}
     */
    public String passwordVariable() {
      return "POLYDB_" + suffix.toUpperCase(Locale.ROOT) + "_PASSWORD";
    }

    /**
     * The kind named by a word.
     *
     * @param word owner, app, readonly or import
     * @return the kind
     * @throws IllegalArgumentException for any other word
     */
    public static Kind of(String word) {
      for (Kind kind : values()) {
        if (kind.suffix.equals(word)) {
          return kind;
        }
      }
      throw new IllegalArgumentException(
          "a role is one of owner, app, readonly, import, not " + word);
    }
  }

  /**
   * The names of the four roles.
   *
   * @param prefix the common prefix
   */
  public record Names(String prefix) {
    /**
     * Validates the prefix.
     *
     * @param prefix lower-case letters, digits and {@code _}, a letter or {@code _} first
     * @throws ToolException (exit 3) when the prefix or a name made from it is not a plain name
     */
    public Names {
      if (!NAME.matcher(prefix).matches() || prefix.length() + "_readonly".length() > 63) {
        throw ToolException.config(
            "role prefix must be lower-case letters, digits and _, a letter first, at most 54"
                + " characters: "
                + prefix);
      }
    }

    /**
     * A role's name.
     *
     * @param kind the role
     * @return e.g. {@code shop_readonly}
     */
    public String of(Kind kind) {
      return prefix + "_" + kind.word();
    }
  }

  private Roles() {}

  /**
   * The statements that make the roles and their grants, or bring existing ones back to them. Run
   * them as a superuser (or the database's owner with CREATEROLE) on the database itself. They set
   * no password. Running them again changes nothing.
   *
   * @param names the roles
   * @param database the database
   * @param schema the schema of the library's tables
   * @return the statements, in order
   */
  public static List<String> statements(Names names, String database, String schema) {
    checkName("database", database);
    checkName("schema", schema);
    String db = quote(database);
    String s = quote(schema);
    String owner = quote(names.of(Kind.OWNER));
    String app = quote(names.of(Kind.APP));
    String readonly = quote(names.of(Kind.READONLY));
    String importer = quote(names.of(Kind.IMPORT));
    String others = app + ", " + readonly + ", " + importer;
    List<String> sql = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      String name = names.of(kind);
      sql.add(
          "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
              + name
              + "') THEN CREATE ROLE "
              + quote(name)
              + "; END IF; END$$");
      sql.add(
          "ALTER ROLE "
              + quote(name)
              + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT");
    }
    sql.add("ALTER ROLE " + readonly + " SET default_transaction_read_only = on");
    sql.add("REVOKE ALL ON DATABASE " + db + " FROM PUBLIC, " + owner + ", " + others);
    sql.add("GRANT CONNECT ON DATABASE " + db + " TO " + owner + ", " + others);
    // CREATE: the owner makes the tenants' schemas
    sql.add("GRANT TEMPORARY, CREATE ON DATABASE " + db + " TO " + owner);
    sql.add("CREATE SCHEMA IF NOT EXISTS " + s + " AUTHORIZATION " + owner);
    sql.add("ALTER SCHEMA " + s + " OWNER TO " + owner);
    sql.add("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    sql.add("REVOKE ALL ON SCHEMA " + s + " FROM PUBLIC, " + others);
    sql.add("GRANT USAGE ON SCHEMA " + s + " TO " + others);
    sql.add("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA " + s);
    // tables a restore or an earlier migration left to another role pass to the owner
    sql.add(
        "DO $$DECLARE t regclass; BEGIN FOR t IN SELECT c.oid FROM pg_class c"
            + " WHERE c.relnamespace = '"
            + s
            + "'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            + " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN"
            + " ('e', 'a', 'i'))"
            + " AND c.relowner <> '"
            + owner
            + "'::regrole LOOP EXECUTE format('ALTER TABLE %s OWNER TO "
            + owner.replace("'", "''")
            + "', t); END LOOP; END$$");
    sql.add("REVOKE ALL ON ALL TABLES IN SCHEMA " + s + " FROM PUBLIC, " + others);
    sql.add("REVOKE ALL ON ALL SEQUENCES IN SCHEMA " + s + " FROM PUBLIC, " + others);
    for (Kind kind : List.of(Kind.APP, Kind.READONLY, Kind.IMPORT)) {
      String grantee = quote(names.of(kind));
      String privileges = String.join(", ", new TreeSet<>(kind.tablePrivileges));
      sql.add("GRANT " + privileges + " ON ALL TABLES IN SCHEMA " + s + " TO " + grantee);
      sql.add(
          "ALTER DEFAULT PRIVILEGES FOR ROLE "
              + owner
              + " IN SCHEMA "
              + s
              + " GRANT "
              + privileges
              + " ON TABLES TO "
              + grantee);
    }
    // tenants: the schemas the owner made (listed in the registry) and those it makes later
    StringBuilder tenants =
        new StringBuilder(
            "DO $$DECLARE t record; BEGIN IF to_regclass('public.polydb_tenants') IS NOT NULL THEN"
                + " FOR t IN SELECT schema_name FROM public.polydb_tenants LOOP");
    tenants.append(tenantGrant("REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM " + others));
    tenants.append(tenantGrant("GRANT USAGE ON SCHEMA %I TO " + others));
    sql.add("ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " GRANT USAGE ON SCHEMAS TO " + others);
    for (Kind kind : List.of(Kind.APP, Kind.READONLY, Kind.IMPORT)) {
      String grantee = quote(names.of(kind));
      String privileges = String.join(", ", new TreeSet<>(kind.tablePrivileges));
      tenants.append(
          tenantGrant("GRANT " + privileges + " ON ALL TABLES IN SCHEMA %I TO " + grantee));
      sql.add(
          "ALTER DEFAULT PRIVILEGES FOR ROLE "
              + owner
              + " GRANT "
              + privileges
              + " ON TABLES TO "
              + grantee);
    }
    sql.add(tenants.append(" END LOOP; END IF; END$$").toString());
    sql.add("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + s + " TO " + app);
    sql.add(
        "ALTER DEFAULT PRIVILEGES FOR ROLE "
            + owner
            + " IN SCHEMA "
            + s
            + " GRANT USAGE, SELECT ON SEQUENCES TO "
            + app);
    return sql;
  }

  /** One statement of the tenants' loop: {@code %I} is the tenant's schema. */
  private static String tenantGrant(String statement) {
    return " EXECUTE format('" + statement.replace("'", "''") + "', t.schema_name);";
  }

  /**
   * Makes the roles on the database the connection is on, and sets the passwords given.
   *
   * @param connection a superuser's (or the database owner's with CREATEROLE) connection
   * @param names the roles
   * @param schema the schema of the library's tables
   * @param passwords the passwords to set, by role; roles missing here keep theirs
   * @throws SQLException when a statement fails
   */
  public static void create(
      Connection connection, Names names, String schema, Map<Kind, char[]> passwords)
      throws SQLException {
    String database;
    try (Statement s = connection.createStatement();
        ResultSet r = s.executeQuery("SELECT current_database()")) {
      r.next();
      database = r.getString(1);
    }
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      for (String sql : statements(names, database, schema)) {
        s.execute(sql);
      }
      PGConnection pg = connection.unwrap(PGConnection.class);
      for (Map.Entry<Kind, char[]> password : passwords.entrySet()) {
        // hashed here (SCRAM): the password itself never reaches the server or its log
        pg.alterUserPassword(names.of(password.getKey()), password.getValue(), "scram-sha-256");
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /**
   * Which of the roles exist already.
   *
   * @param connection any connection to the server
   * @param names the roles
   * @return the kinds whose role exists
   * @throws SQLException when the catalog cannot be read
   */
  public static Set<Kind> existing(Connection connection, Names names) throws SQLException {
    Set<Kind> found = new TreeSet<>();
    try (PreparedStatement p =
        connection.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
      for (Kind kind : Kind.values()) {
        p.setString(1, names.of(kind));
        try (ResultSet r = p.executeQuery()) {
          if (r.next()) {
            found.add(kind);
          }
        }
      }
    }
    return found;
  }

  /**
   * One way the audited role differs from what it claims to be.
   *
   * @param check what was checked, e.g. {@code superuser} or {@code grant}
   * @param detail what is wrong
   */
  public record Deviation(String check, String detail) {}

  /**
   * Audits the role of the connection against the role it claims to be.
   *
   * @param connection a connection made as the audited role
   * @param claimed what the role claims to be
   * @param schema the schema of the library's tables
   * @return every deviation, empty when the role is what it claims
   * @throws SQLException when the catalog cannot be read
   */
  public static List<Deviation> audit(Connection connection, Kind claimed, String schema)
      throws SQLException {
    checkName("schema", schema);
    List<Deviation> found = new ArrayList<>();
    attributes(connection, found);
    Optional<String> schemaOwner =
        single(
            connection,
            "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ?",
            schema);
    if (schemaOwner.isEmpty()) {
      found.add(new Deviation("schema", "schema " + schema + " does not exist"));
      return found;
    }
    String me = single(connection, "SELECT current_user", null).orElseThrow();
    if (claimed == Kind.OWNER && !schemaOwner.get().equals(me)) {
      found.add(new Deviation("owner", "schema " + schema + " is owned by " + schemaOwner.get()));
    }
    List<String> tenantSchemas = tenantSchemas(connection);
    schemaCreate(connection, claimed, schema, tenantSchemas, found);
    publicCreate(connection, schema, found);
    Map<String, String> tables = tables(connection, schema);
    if (tables.isEmpty()) {
      found.add(
          new Deviation(
              "tables", "schema " + schema + " holds no tables: migrate it as the owner first"));
    }
    Map<String, Map<String, String>> tenants = new LinkedHashMap<>();
    for (String tenant : tenantSchemas) {
      tenants.put(tenant, tables(connection, tenant));
    }
    if (claimed == Kind.OWNER) {
      tables.forEach(
          (table, owner) -> {
            if (!owner.equals(me)) {
              found.add(new Deviation("owner", "table " + table + " is owned by " + owner));
            }
          });
      tenants.forEach(
          (tenant, tenantTables) ->
              tenantTables.forEach(
                  (table, owner) -> {
                    if (!owner.equals(me)) {
                      found.add(
                          new Deviation(
                              "owner", "table " + tenant + "." + table + " is owned by " + owner));
                    }
                  }));
    } else {
      owned(connection, found);
      grants(connection, claimed, schema, tables.keySet(), found);
      for (Map.Entry<String, Map<String, String>> tenant : tenants.entrySet()) {
        grants(connection, claimed, tenant.getKey(), tenant.getValue().keySet(), found);
      }
      defaultPrivileges(connection, claimed, schema, schemaOwner.get(), me, found);
      boolean readOnly =
          "on".equals(single(connection, "SHOW default_transaction_read_only", null).orElse(""));
      if (claimed == Kind.READONLY && !readOnly) {
        found.add(
            new Deviation(
                "read-only", "default_transaction_read_only is off for this role and database"));
      }
      if (claimed != Kind.APP
          && holds(connection, "has_database_privilege(current_database(), 'TEMP')")) {
        found.add(new Deviation("temporary", "may create temporary tables in this database"));
      }
      if (holds(connection, "has_database_privilege(current_database(), 'CREATE')")) {
        found.add(new Deviation("create", "may create schemas in this database"));
      }
    }
    return found;
  }

  private static void attributes(Connection connection, List<Deviation> found) throws SQLException {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("rolsuper", "superuser: is a superuser");
    attributes.put("rolcreaterole", "createrole: may create roles");
    attributes.put("rolcreatedb", "createdb: may create databases");
    attributes.put("rolbypassrls", "bypassrls: bypasses row-level security");
    attributes.put("rolreplication", "replication: may start replication");
    try (Statement s = connection.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT "
                    + String.join(", ", attributes.keySet())
                    + " FROM pg_roles WHERE rolname = current_user")) {
      r.next();
      for (String attribute : attributes.keySet()) {
        if (r.getBoolean(attribute)) {
          String[] text = attributes.get(attribute).split(": ", 2);
          found.add(new Deviation(text[0], text[1]));
        }
      }
    }
    for (String role : POWERFUL_ROLES) {
      if (holds(
          connection,
          "pg_has_role(current_user, oid, 'USAGE') FROM pg_roles WHERE rolname = '" + role + "'")) {
        found.add(new Deviation("membership", "is a member of " + role));
      }
    }
  }

  private static void schemaCreate(
      Connection connection,
      Kind claimed,
      String schema,
      List<String> tenantSchemas,
      List<Deviation> found)
      throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(oid, 'CREATE')"
                    + " AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
                    + " ORDER BY nspname")) {
      while (r.next()) {
        String name = r.getString(1);
        boolean owners = name.equals(schema) || tenantSchemas.contains(name);
        if (!(claimed == Kind.OWNER && owners)) {
          found.add(new Deviation("create", "may create objects in schema " + name));
        }
      }
    }
  }

  private static void publicCreate(Connection connection, String schema, List<Deviation> found)
      throws SQLException {
    try (PreparedStatement p =
        connection.prepareStatement(
            "SELECT n.nspname FROM pg_namespace n,"
                + " aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a"
                + " WHERE n.nspname IN ('public', ?) AND a.grantee = 0"
                + " AND a.privilege_type = 'CREATE' ORDER BY 1")) {
      p.setString(1, schema);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          found.add(
              new Deviation(
                  "public-create", "PUBLIC may create objects in schema " + r.getString(1)));
        }
      }
    }
  }

  /** The tables of the schema and their owners, not counting an extension's. */
  private static Map<String, String> tables(Connection connection, String schema)
      throws SQLException {
    Map<String, String> tables = new LinkedHashMap<>();
    try (PreparedStatement p =
        connection.prepareStatement(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relkind IN ('r', 'p')"
                + " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid"
                + " AND d.deptype = 'e') ORDER BY c.relname")) {
      p.setString(1, schema);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          tables.put(r.getString(1), r.getString(2));
        }
      }
    }
    return tables;
  }

  /** The schemas of the registered tenants, none without a registry. */
  private static List<String> tenantSchemas(Connection connection) throws SQLException {
    List<String> schemas = new ArrayList<>();
    if (!holds(connection, "to_regclass('public.polydb_tenants') IS NOT NULL")) {
      return schemas;
    }
    try (Statement s = connection.createStatement();
        ResultSet r =
            s.executeQuery("SELECT schema_name FROM public.polydb_tenants ORDER BY schema_name")) {
      while (r.next()) {
        schemas.add(r.getString(1));
      }
    }
    return schemas;
  }

  private static void owned(Connection connection, List<Deviation> found) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
                    + " AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
                    + " ORDER BY 1")) {
      while (r.next()) {
        found.add(new Deviation("owns", "owns " + r.getString(1)));
      }
    }
  }

  private static void grants(
      Connection connection, Kind claimed, String schema, Set<String> tables, List<Deviation> found)
      throws SQLException {
    try (PreparedStatement p =
        connection.prepareStatement("SELECT has_table_privilege(format('%I.%I', ?, ?), ?)")) {
      for (String table : tables) {
        for (String privilege : TABLE_PRIVILEGES) {
          p.setString(1, schema);
          p.setString(2, table);
          p.setString(3, privilege);
          boolean has;
          try (ResultSet r = p.executeQuery()) {
            r.next();
            has = r.getBoolean(1);
          }
          boolean expected = claimed.tablePrivileges.contains(privilege);
          String name = schema.equals("public") ? table : schema + "." + table;
          if (has && !expected) {
            found.add(new Deviation("grant", "extra " + privilege + " on " + name));
          } else if (!has && expected) {
            found.add(new Deviation("grant", "missing " + privilege + " on " + name));
          }
        }
      }
    }
  }

  private static void defaultPrivileges(
      Connection connection,
      Kind claimed,
      String schema,
      String schemaOwner,
      String me,
      List<Deviation> found)
      throws SQLException {
    Set<String> granted = new TreeSet<>();
    try (PreparedStatement p =
        connection.prepareStatement(
            "SELECT a.privilege_type FROM pg_default_acl d"
                + " JOIN pg_namespace n ON n.oid = d.defaclnamespace,"
                + " aclexplode(d.defaclacl) a"
                + " WHERE n.nspname = ? AND d.defaclobjtype = 'r'"
                + " AND d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = ?)"
                + " AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = ?)")) {
      p.setString(1, schema);
      p.setString(2, schemaOwner);
      p.setString(3, me);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          granted.add(r.getString(1));
        }
      }
    }
    Set<String> expected = new TreeSet<>(claimed.tablePrivileges);
    if (!granted.equals(expected)) {
      found.add(
          new Deviation(
              "default-privileges",
              "tables "
                  + schemaOwner
                  + " creates later in "
                  + schema
                  + " grant "
                  + (granted.isEmpty() ? "nothing" : String.join(", ", granted))
                  + " where "
                  + String.join(", ", expected)
                  + " is expected"));
    }
  }

  private static Optional<String> single(Connection connection, String sql, String parameter)
      throws SQLException {
    try (PreparedStatement p = connection.prepareStatement(sql)) {
      if (parameter != null) {
        p.setString(1, parameter);
      }
      try (ResultSet r = p.executeQuery()) {
        return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.empty();
      }
    }
  }

  private static boolean holds(Connection connection, String expression) throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet r = s.executeQuery("SELECT " + expression)) {
      return r.next() && r.getBoolean(1);
    }
  }

  private static void checkName(String what, String name) {
    if (!NAME.matcher(name).matches()) {
      throw ToolException.config(
          what
              + " name must be lower-case letters, digits and _, a letter first, for roles: "
              + name);
    }
  }

  /** An identifier, quoted; names are checked against {@link #NAME} first. */
  private static String quote(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
