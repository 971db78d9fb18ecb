package dev.polydb.cli;

import dev.polydb.api.DbValidationException;
import dev.polydb.api.TenantId;
import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.Tenants;
import dev.polydb.cli.internal.ToolException;
import java.io.Console;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Creates, lists and drops tenants: a schema each on PostgreSQL, a file each on SQLite. */
@Command(
    name = "tenants",
    mixinStandardHelpOptions = true,
    description = {
      "Tenants (docs/tenants.md): a schema each on PostgreSQL, <prefix><id>, listed in"
          + " public.polydb_tenants; a file each on SQLite, <file>.tenants/<id>.db. An id is a"
          + " lower-case letter, then lower-case letters, digits and _; its schema fits in 63"
          + " bytes and is not public, information_schema, pg_… or a reserved word. Anything else"
          + " is refused, never adjusted."
    },
    subcommands = {
      TenantsCommand.Create.class,
      TenantsCommand.ListTenants.class,
      TenantsCommand.Drop.class
    })
final class TenantsCommand implements Runnable {
  @ParentCommand PolyDb root;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--prefix",
      defaultValue = TenantId.DEFAULT_PREFIX,
      scope = CommandLine.ScopeType.INHERIT,
      description = "PostgreSQL: the schema prefix of new tenants (default: ${DEFAULT-VALUE})")
  String prefix;

  @Override
  public void run() {
    spec.commandLine().usage(root.out);
  }

  private TenantId id(String value) {
    try {
      return TenantId.of(value, prefix);
    } catch (DbValidationException e) {
      throw ToolException.config(e.getMessage());
    }
  }

  /** {@code tenants create}. */
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description =
          "Creates a tenant and migrates its schema (or file) with the DB_VECTOR_* settings; on a"
              + " tenant that exists, migrates what is pending.",
      footer = {"", "Example:", "  java -jar polydb.jar tenants create acme --url postgres://…"})
  static final class Create implements Callable<Integer> {
    @ParentCommand TenantsCommand tenants;

    @Parameters(index = "0", paramLabel = "ID", description = "the tenant's id")
    String id;

    @Option(names = "--url", description = "the database (default: DATABASE_URL)")
    String url;

    @Override
    public Integer call() {
      TenantId tenant = tenants.id(id);
      Endpoint endpoint = Endpoint.of(url, true, tenants.root.env);
      Tenants.Entry entry = Tenants.create(endpoint, tenant, tenants.prefix);
      tenants.root.out.println(
          endpoint.redacted()
              + ": tenant "
              + entry.id()
              + " "
              + entry.state()
              + " in "
              + entry.where()
              + ", schema version "
              + entry.version());
      return 0;
    }
  }

  /** {@code tenants list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists the tenants: id, where its data is, state, schema version.")
  static final class ListTenants implements Callable<Integer> {
    @ParentCommand TenantsCommand tenants;

    @Option(names = "--url", description = "the database (default: DATABASE_URL)")
    String url;

    @Option(names = "--json", description = "print the result as JSON on standard output")
    boolean json;

    @Override
    public Integer call() {
      // as a writer: on SQLite the tenants' files are listed whether the database's own exists
      Endpoint endpoint = Endpoint.of(url, true, tenants.root.env);
      List<Tenants.Entry> entries = Tenants.list(endpoint);
      if (json) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Tenants.Entry e : entries) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("id", e.id());
          row.put("where", e.where());
          row.put("state", e.state());
          row.put("version", e.version());
          rows.add(row);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("url", endpoint.redacted());
        result.put("tenants", rows);
        Json.write(tenants.root.out, result);
      } else {
        tenants.root.out.println(
            endpoint.redacted()
                + ": "
                + entries.size()
                + " tenant"
                + (entries.size() == 1 ? "" : "s"));
        for (Tenants.Entry e : entries) {
          tenants.root.out.printf(
              "  %-24s %-10s %-8s %s%n", e.id(), e.state(), e.version(), e.where());
        }
      }
      return 0;
    }
  }

  /** {@code tenants drop}. */
  @Command(
      name = "drop",
      mixinStandardHelpOptions = true,
      description = {
        "Drops a tenant and all its data: its schema (PostgreSQL) or its file (SQLite).",
        "Asks for the id a second time on the terminal; a script gives it with --confirm, or"
            + " passes --yes."
      },
      footer = {"", "Example:", "  java -jar polydb.jar tenants drop acme --confirm acme"})
  static final class Drop implements Callable<Integer> {
    @ParentCommand TenantsCommand tenants;

    @Parameters(index = "0", paramLabel = "ID", description = "the tenant's id")
    String id;

    @Option(names = "--url", description = "the database (default: DATABASE_URL)")
    String url;

    @Option(names = "--confirm", paramLabel = "ID", description = "the id again")
    String confirm;

    @Option(names = "--yes", description = "drop without asking")
    boolean yes;

    @Override
    public Integer call() {
      TenantId tenant = tenants.id(id);
      if (!yes) {
        String again = confirm;
        if (again == null) {
          Console console = System.console();
          if (console == null) {
            throw new CommandLine.ParameterException(
                tenants.spec.commandLine().getSubcommands().get("drop"),
                "dropping a tenant deletes its data: give its id again with --confirm, or --yes");
          }
          again = console.readLine("type the id again to drop tenant %s and all its data: ", id);
        }
        if (!id.equals(again)) {
          throw ToolException.config("the ids differ: nothing dropped");
        }
      }
      Endpoint endpoint = Endpoint.of(url, true, tenants.root.env);
      boolean dropped = Tenants.drop(endpoint, tenant);
      tenants.root.out.println(
          endpoint.redacted()
              + ": tenant "
              + id
              + (dropped ? " dropped" : " does not exist: nothing dropped"));
      return dropped ? 0 : ToolException.FAILED;
    }
  }
}
