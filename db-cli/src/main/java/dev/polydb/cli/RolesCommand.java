package dev.polydb.cli;

import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.Roles;
import dev.polydb.cli.internal.Roles.Kind;
import dev.polydb.cli.internal.ToolException;
import java.io.Console;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Makes the four production roles of a PostgreSQL database, or audits one. */
@Command(
    name = "roles",
    mixinStandardHelpOptions = true,
    description = {
      "The roles of a PostgreSQL production, least privilege each (docs/production.md):",
      "  <prefix>_owner     owns the schema and its tables; runs migrations and restores",
      "  <prefix>_app       reads and writes the library's tables; no DDL",
      "  <prefix>_readonly  SELECT only; default_transaction_read_only is on",
      "  <prefix>_import    INSERT and SELECT only, to import files from polydb export",
    },
    subcommands = {RolesCommand.Create.class, RolesCommand.Check.class})
final class RolesCommand implements Runnable {
  @ParentCommand PolyDb root;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(root.out);
  }

  /** {@code roles create}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Creates the four roles (or brings existing ones back to their grants) on the database of"
            + " --url, connected as a superuser or the database's owner with CREATEROLE. Also:"
            + " the vector extension, the schema owned by the owner role, REVOKE CREATE ON SCHEMA"
            + " public FROM PUBLIC, CONNECT for these roles only, and default privileges so the"
            + " tables the owner creates later carry the same grants. Running it again is safe.",
        "Passwords: from POLYDB_OWNER_PASSWORD, POLYDB_APP_PASSWORD, POLYDB_READONLY_PASSWORD,"
            + " POLYDB_IMPORT_PASSWORD, else asked on the terminal for a new role (never echoed),"
            + " and sent hashed (SCRAM). An existing role keeps its password unless its variable"
            + " is set."
      },
      footer = {
        "",
        "Example:",
        "  java -jar polydb.jar roles create --url postgres://postgres@localhost/shop --prefix shop"
      })
  static final class Create implements Callable<Integer> {
    @ParentCommand RolesCommand roles;

    @Option(
        names = "--url",
        description = "the database, as an administrator (default: DATABASE_URL)")
    String url;

    @Option(
        names = "--prefix",
        description = "the roles' common prefix (default: the database's name)")
    String prefix;

    @Option(
        names = "--schema",
        defaultValue = "public",
        description = "the schema of the library's tables (default: ${DEFAULT-VALUE})")
    String schema;

    @Option(
        names = "--print",
        description = "print the SQL (without passwords) instead of running it; nothing connects")
    boolean print;

    @Option(
        names = "--no-passwords",
        description = "create roles without a password (they log in by peer or certificate)")
    boolean noPasswords;

    @Override
    public Integer call() throws SQLException {
      PolyDb root = roles.root;
      Endpoint endpoint = Endpoint.of(url, true, root.env);
      requirePostgres(endpoint);
      String database =
          endpoint
              .url()
              .database()
              .orElseThrow(() -> ToolException.config("the URL names no database"));
      Roles.Names names = new Roles.Names(prefix == null ? database : prefix);
      if (print) {
        root.out.println("-- polydb roles for database " + database + ", schema " + schema);
        root.out.println("-- run as a superuser on that database, e.g. psql -X -v ON_ERROR_STOP=1");
        root.out.println("-- then set each password with psql's \\password ROLE (it is hashed");
        root.out.println("-- before it is sent), e.g. \\password " + names.of(Kind.APP));
        for (String sql : Roles.statements(names, database, schema)) {
          root.out.println(sql + ";");
        }
        return 0;
      }
      try (Connection connection = endpoint.connect()) {
        Set<Kind> existing = Roles.existing(connection, names);
        Map<Kind, char[]> passwords = passwords(root.env, names, existing);
        try {
          Roles.create(connection, names, schema, passwords);
        } finally {
          passwords.values().forEach(p -> Arrays.fill(p, '\0'));
        }
        for (Kind kind : Kind.values()) {
          String password =
              passwords.containsKey(kind)
                  ? "password set"
                  : existing.contains(kind) ? "password kept" : "no password";
          root.out.printf(
              "%-28s %-8s %s (%s)%n",
              names.of(kind),
              kind.word(),
              existing.contains(kind) ? "updated" : "created",
              password);
        }
        root.out.println(
            endpoint.redacted()
                + ": roles ready; audit each with polydb roles check --url <its URL> --as <role>");
      } catch (SQLException e) {
        throw ToolException.failed("roles create failed", e);
      }
      return 0;
    }

    private Map<Kind, char[]> passwords(
        Map<String, String> env, Roles.Names names, Set<Kind> existing) {
      Map<Kind, char[]> passwords = new EnumMap<>(Kind.class);
      for (Kind kind : Kind.values()) {
        String fromEnv = env.get(kind.passwordVariable());
        if (fromEnv != null && !fromEnv.isEmpty()) {
          passwords.put(kind, fromEnv.toCharArray());
        } else if (!existing.contains(kind) && !noPasswords) {
          passwords.put(kind, ask(names.of(kind), kind));
        }
      }
      return passwords;
    }

    private static char[] ask(String role, Kind kind) {
      Console console = System.console();
      if (console == null) {
        throw ToolException.config(
            "no password for the new role "
                + role
                + ": set "
                + kind.passwordVariable()
                + ", run in a terminal to be asked, or pass --no-passwords");
      }
      char[] first = console.readPassword("password for %s: ", role);
      char[] second = console.readPassword("again: ");
      if (first == null || first.length == 0 || !Arrays.equals(first, second)) {
        throw ToolException.config("the two passwords for " + role + " are empty or differ");
      }
      Arrays.fill(second, '\0');
      return first;
    }
  }

  /** {@code roles check}. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Audits the role of --url against the role it claims to be (--as) and lists every"
            + " deviation: superuser, CREATEROLE, CREATEDB, BYPASSRLS, REPLICATION, membership of"
            + " roles that reach the server's files, CREATE on a schema or the database, owned"
            + " tables, missing or extra grants on the library's tables and in the owner's"
            + " default privileges, a read-only role that is not read-only, PUBLIC CREATE on"
            + " public. Exit 1 on any deviation."
      },
      footer = {
        "",
        "Example:",
        "  java -jar polydb.jar roles check --url postgres://shop_readonly@db/shop --as readonly"
      })
  static final class Check implements Callable<Integer> {
    @ParentCommand RolesCommand roles;

    @Option(
        names = "--url",
        description = "the database, as the audited role (default: DATABASE_URL)")
    String url;

    @Option(
        names = "--as",
        required = true,
        description = "what the role claims to be: owner, app, readonly or import")
    String claimed;

    @Option(
        names = "--schema",
        defaultValue = "public",
        description = "the schema of the library's tables (default: ${DEFAULT-VALUE})")
    String schema;

    @Option(names = "--json", description = "print the result as JSON on standard output")
    boolean json;

    @Override
    public Integer call() {
      PolyDb root = roles.root;
      Kind kind;
      try {
        kind = Kind.of(claimed);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            roles.spec.commandLine().getSubcommands().get("check"), e.getMessage());
      }
      // as a writer: a read-only endpoint would start the session read-only itself and hide
      // whether the role is; the audit only reads the catalog
      Endpoint endpoint = Endpoint.of(url, true, root.env);
      requirePostgres(endpoint);
      List<Roles.Deviation> deviations;
      try (Connection connection = endpoint.connect()) {
        deviations = Roles.audit(connection, kind, schema);
      } catch (SQLException e) {
        throw ToolException.failed("roles check failed", e);
      }
      if (json) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Roles.Deviation d : deviations) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("check", d.check());
          row.put("detail", d.detail());
          rows.add(row);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("url", endpoint.redacted());
        result.put("as", kind.word());
        result.put("schema", schema);
        result.put("ok", deviations.isEmpty());
        result.put("deviations", rows);
        Json.write(root.out, result);
      } else {
        root.out.println(
            endpoint.redacted()
                + " as "
                + kind.word()
                + ": "
                + (deviations.isEmpty()
                    ? "no deviation"
                    : deviations.size() + " deviation" + (deviations.size() == 1 ? "" : "s")));
        for (Roles.Deviation d : deviations) {
          root.out.println("  " + d.check() + ": " + d.detail());
        }
      }
      return deviations.isEmpty() ? ToolException.OK : ToolException.FAILED;
    }
  }

  private static void requirePostgres(Endpoint endpoint) {
    if (endpoint.engine() != Endpoint.Engine.POSTGRES) {
      throw ToolException.config(
          endpoint.redacted() + ": roles are PostgreSQL's; a SQLite file has none");
    }
  }
}
