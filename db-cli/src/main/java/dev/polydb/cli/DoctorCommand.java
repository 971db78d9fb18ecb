package dev.polydb.cli;

import dev.polydb.api.DbException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.Health;
import dev.polydb.cli.internal.Copier;
import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.ToolException;
import dev.polydb.migrations.Migrations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** Diagnoses a database: what it runs, where its schema stands, what it allows. */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = {
      "Diagnoses a database.",
      "Reachable, server and pgvector versions, schema version against this tool's, read-only"
          + " state, pool figures, vector index; on SQLite journal mode, quick_check and file"
          + " size. Exit 1 when a problem is found."
    },
    footer = {"", "Example:", "  java -jar polydb.jar doctor --url postgres://app@localhost/app"})
final class DoctorCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Mixin OneDatabase database;

  @Override
  public Integer call() {
    Endpoint endpoint = Endpoint.of(database.url, false, root.env);
    if (endpoint.engine() == Endpoint.Engine.POSTGRES) {
      // a read-only endpoint would make its own sessions read-only: the server's state is wanted
      endpoint = Endpoint.of(database.url, true, root.env);
    }
    Map<String, Object> facts = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    facts.put("url", endpoint.redacted());
    facts.put("engine", endpoint.engine().name().toLowerCase(java.util.Locale.ROOT));
    long started = System.nanoTime();
    try (Connection c = endpoint.connect()) {
      facts.put("reachable", true);
      facts.put("connectMillis", (System.nanoTime() - started) / 1_000_000);
      if (endpoint.engine() == Endpoint.Engine.POSTGRES) {
        postgres(c, facts, problems);
      } else {
        sqlite(c, endpoint, facts, problems);
      }
    } catch (SQLException e) {
      throw ToolException.failed("doctor could not read " + endpoint.redacted(), e);
    }
    Migrations migrations = endpoint.migrations();
    String current = migrations.currentVersion().orElse("none");
    String latest = migrations.latestVersion();
    facts.put("schemaVersion", current);
    facts.put("toolSchemaVersion", latest);
    if (!current.equals(latest)) {
      problems.add(
          "schema version "
              + current
              + " is not this tool's "
              + latest
              + ": run `polydb migrate --url "
              + endpoint.redacted()
              + "`");
    }
    facts.put("enableMutations", root.env.getOrDefault("ENABLE_MUTATIONS", "true"));
    provider(endpoint, facts, problems);
    facts.put("problems", problems);
    if (database.json) {
      Json.write(root.out, facts);
    } else {
      facts.forEach(
          (name, value) -> {
            if (!name.equals("problems")) {
              root.out.printf("%-24s %s%n", name, value);
            }
          });
      problems.forEach(p -> root.out.println("problem: " + p));
      root.out.println(problems.isEmpty() ? "healthy" : problems.size() + " problem(s)");
    }
    return problems.isEmpty() ? ToolException.OK : ToolException.FAILED;
  }

  private static void postgres(Connection c, Map<String, Object> facts, List<String> problems)
      throws SQLException {
    facts.put("serverVersion", one(c, "SHOW server_version"));
    String vector = one(c, "SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    facts.put("pgvectorVersion", vector == null ? "not installed" : vector);
    facts.put("role", one(c, "SELECT current_user"));
    facts.put("transactionReadOnly", one(c, "SHOW transaction_read_only"));
    facts.put("defaultTransactionReadOnly", one(c, "SHOW default_transaction_read_only"));
    facts.put("superuser", one(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
    if (one(c, "SELECT to_regclass('journal_entries')") != null) {
      facts.put("mayInsert", one(c, "SELECT has_table_privilege('journal_entries', 'INSERT')"));
      facts.put("maySelect", one(c, "SELECT has_table_privilege('journal_entries', 'SELECT')"));
    }
    Copier.unfinished(c)
        .ifPresent(
            why -> {
              facts.put("copy", "unfinished");
              problems.add(why);
            });
    String index =
        one(
            c,
            "SELECT x.indisvalid || ' ' || am.amname || ' '"
                + " || pg_size_pretty(pg_relation_size(x.indexrelid))"
                + " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                + " JOIN pg_am am ON am.oid = i.relam"
                + " WHERE i.relname = 'chunks_embedding_idx'"
                + " AND i.relnamespace = current_schema()::regnamespace");
    if (index == null) {
      facts.put("vectorIndex", "none (exact search)");
    } else {
      String[] parts = index.split(" ", 3);
      facts.put("vectorIndex", parts[1] + ", " + parts[2]);
      if (!parts[0].equals("true")) {
        problems.add("vector index chunks_embedding_idx is not valid: rebuild it (REINDEX)");
      }
    }
  }

  private static void sqlite(
      Connection c, Endpoint endpoint, Map<String, Object> facts, List<String> problems)
      throws SQLException {
    facts.put("serverVersion", one(c, "SELECT sqlite_version()"));
    facts.put("journalMode", one(c, "PRAGMA journal_mode"));
    String check = one(c, "PRAGMA quick_check");
    facts.put("quickCheck", check);
    if (!"ok".equals(check)) {
      problems.add("quick_check reports damage: restore from a backup");
    }
    facts.put("vectorIndex", "none (exact search in memory)");
    endpoint
        .url()
        .sqlitePath()
        .ifPresent(
            path -> {
              facts.put("file", path.toAbsolutePath().toString());
              facts.put("fileBytes", size(path));
              facts.put("walBytes", size(path.resolveSibling(path.getFileName() + "-wal")));
              facts.put("fileWritable", Files.isWritable(path));
            });
  }

  /** Opens the library itself, without migrating, for its own view: health and pool figures. */
  private void provider(Endpoint endpoint, Map<String, Object> facts, List<String> problems) {
    boolean mutations =
        !"false".equalsIgnoreCase(root.env.getOrDefault("ENABLE_MUTATIONS", "true"));
    try (DbProvider provider =
        DbProviders.open(
            endpoint.config().toBuilder()
                .mutationsEnabled(mutations)
                .migrateOnOpen(false)
                .build())) {
      Health health = provider.health();
      facts.put("healthReadOnly", health.readOnly());
      facts.put(
          "pool",
          String.format(
              "active %d, idle %d, pending %d, max %d",
              health.pool().active(),
              health.pool().idle(),
              health.pool().pending(),
              health.pool().max()));
    } catch (DbException e) {
      problems.add("the library cannot open it: " + e.getMessage());
    }
  }

  private static long size(Path path) {
    try {
      return Files.exists(path) ? Files.size(path) : 0;
    } catch (IOException e) {
      return -1;
    }
  }

  private static String one(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
