package dev.polydb.cli;

import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.Tenants;
import dev.polydb.migrations.Migrations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** Applies the pending migrations, as a provider opening the database would. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Applies the library's pending migrations (Flyway) to a database, then to each of its"
          + " tenants.",
      "A new schema takes its vector settings from DB_VECTOR_DIMENSION, DB_VECTOR_METRIC,"
          + " DB_EMBEDDING_MODEL and DB_VECTOR_INDEX, as the application would."
    },
    footer = {"", "Example:", "  java -jar polydb.jar migrate --url sqlite:data/app.db"})
final class MigrateCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Mixin OneDatabase database;

  @Override
  public Integer call() {
    Endpoint endpoint = Endpoint.of(database.url, true, root.env);
    Migrations migrations = endpoint.migrations();
    String before = migrations.currentVersion().orElse("none");
    try (DbProvider provider =
        DbProviders.open(endpoint.config().toBuilder().migrateOnOpen(true).build())) {
      provider.health();
    }
    String after = migrations.currentVersion().orElse("none");
    long applied = migrations.versions().stream().filter(Migrations.Version::applied).count();
    List<Tenants.Entry> tenants = Tenants.migrateAll(endpoint);
    if (database.json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("url", endpoint.redacted());
      result.put("before", before);
      result.put("after", after);
      result.put("appliedVersions", applied);
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Tenants.Entry tenant : tenants) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", tenant.id());
        row.put("version", tenant.version());
        rows.add(row);
      }
      result.put("tenants", rows);
      Json.write(root.out, result);
      return 0;
    } else if (before.equals(after)) {
      root.out.println(endpoint.redacted() + ": schema version " + after + ", up to date");
    } else {
      root.out.println(
          endpoint.redacted() + ": migrated from schema version " + before + " to " + after);
    }
    for (Tenants.Entry tenant : tenants) {
      root.out.println("  tenant " + tenant.id() + ": schema version " + tenant.version());
    }
    return 0;
  }
}
