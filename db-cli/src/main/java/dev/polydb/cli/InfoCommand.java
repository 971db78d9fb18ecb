package dev.polydb.cli;

import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.migrations.Migrations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** Lists the applied and pending schema versions. */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description = "Lists the schema versions of a database: applied and pending.",
    footer = {"", "Example:", "  java -jar polydb.jar info --url postgres://app@localhost/app"})
final class InfoCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Mixin OneDatabase database;

  @Override
  public Integer call() {
    Endpoint endpoint = Endpoint.of(database.url, false, root.env);
    Migrations migrations = endpoint.migrations();
    List<Migrations.Version> versions = migrations.versions();
    String current = migrations.currentVersion().orElse("none");
    String latest = migrations.latestVersion();
    if (database.json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Migrations.Version v : versions) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("version", v.version());
        row.put("description", v.description());
        row.put("state", v.state());
        row.put("installedOn", v.installedOn().map(Object::toString).orElse(null));
        rows.add(row);
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("url", endpoint.redacted());
      result.put("current", current);
      result.put("latest", latest);
      result.put("versions", rows);
      Json.write(root.out, result);
      return 0;
    }
    root.out.println(
        endpoint.redacted()
            + ": schema version "
            + current
            + " (this tool's latest: "
            + latest
            + ")");
    root.out.printf("%-8s %-32s %-10s %s%n", "version", "description", "state", "installed on");
    for (Migrations.Version v : versions) {
      root.out.printf(
          "%-8s %-32s %-10s %s%n",
          v.version(),
          v.description(),
          v.state(),
          v.installedOn().map(Object::toString).orElse(""));
    }
    return 0;
  }
}
