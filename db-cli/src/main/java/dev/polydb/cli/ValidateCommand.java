package dev.polydb.cli;

import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.Secrets;
import dev.polydb.cli.internal.ToolException;
import dev.polydb.migrations.Migrations;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.FlywayException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** Checks the applied migrations against the library's scripts. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Checks the applied migrations against the library's scripts.",
      "Fails (exit 1) on a changed checksum, a failed migration or a pending one."
    },
    footer = {"", "Example:", "  java -jar polydb.jar validate --url sqlite:data/app.db"})
final class ValidateCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Mixin OneDatabase database;

  @Override
  public Integer call() {
    Endpoint endpoint = Endpoint.of(database.url, false, root.env);
    Migrations migrations = endpoint.migrations();
    String problem = null;
    try {
      migrations.validate();
    } catch (FlywayException e) {
      if (e.getCause() instanceof java.sql.SQLException) {
        throw e; // the database could not be read: reported with its SQLState, exit 3 or 1
      }
      problem = Secrets.scrub(e.getMessage());
    }
    if (database.json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("url", endpoint.redacted());
      result.put("valid", problem == null);
      result.put("problem", problem);
      Json.write(root.out, result);
      return problem == null ? ToolException.OK : ToolException.FAILED;
    }
    if (problem != null) {
      throw ToolException.failed("validate failed for " + endpoint.redacted() + ": " + problem);
    }
    root.out.println(
        endpoint.redacted()
            + ": valid, schema version "
            + migrations.currentVersion().orElse("none")
            + ", checksums match");
    return ToolException.OK;
  }
}
