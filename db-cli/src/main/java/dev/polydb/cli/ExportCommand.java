package dev.polydb.cli;

import dev.polydb.cli.internal.ConsoleProgress;
import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Exporter;
import dev.polydb.cli.internal.Json;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Writes a user's data, or some documents' chunks, as an idempotent SQL file for PostgreSQL. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Writes part of a database (SQLite or PostgreSQL) as one SQL file for PostgreSQL: one"
          + " transaction of INSERT … ON CONFLICT DO NOTHING, constants only, so importing it twice"
          + " leaves what importing it once does. Streamed: a large export needs no large heap.",
      "  --user ID          the user, their subscriptions and events, journal and chunks"
          + " (never refresh tokens)",
      "  --documents ID...  those documents' chunks and the users who own them",
      "Check the file with polydb validate-export, then import it as the import role:",
      "  psql -X -v ON_ERROR_STOP=1 --single-transaction -f FILE postgres://…_import@host/db"
    },
    footer = {
      "",
      "Example:",
      "  java -jar polydb.jar export --url sqlite:data/app.db --user 0193… --out user.sql"
    })
final class ExportCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Option(names = "--url", description = "the database to read (default: DATABASE_URL)")
  String url;

  @ArgGroup(multiplicity = "1")
  What what;

  /** One of the two selections. */
  static final class What {
    @Option(names = "--user", description = "the id of the user to export")
    String user;

    @Option(
        names = "--documents",
        arity = "1..*",
        paramLabel = "ID",
        description = "the document ids whose chunks to export")
    List<String> documents;
  }

  @Option(names = "--out", required = true, description = "the SQL file to write (replaced)")
  Path out;

  @Option(names = "--json", description = "print the result as JSON on standard output")
  boolean json;

  @Override
  public Integer call() {
    Endpoint endpoint = Endpoint.of(url, false, root.env);
    Map<String, Long> counts =
        Exporter.export(
            endpoint,
            new Exporter.Selection(what.user, what.documents),
            out,
            ConsoleProgress.forTerminal(root.err));
    if (json) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("url", endpoint.redacted());
      result.put("file", out.toAbsolutePath().toString());
      result.put("rows", counts);
      Json.write(root.out, result);
    } else {
      root.out.println(endpoint.redacted() + " -> " + out.toAbsolutePath());
      counts.forEach((table, rows) -> root.out.printf("  %-20s %d%n", table, rows));
    }
    return 0;
  }
}
