package dev.polydb.cli;

import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.VectorIndexes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Drops or builds PostgreSQL's approximate vector index around a first load. */
@Command(
    name = "vector-index",
    mixinStandardHelpOptions = true,
    description = {
      "Drops or builds the approximate vector index (HNSW or IVFFlat) of a PostgreSQL database,"
          + " for a first load of many chunks:",
      "  1. polydb vector-index drop    (the definition is kept in the database)",
      "  2. load the chunks with the library's vectors().upsert",
      "  3. polydb vector-index build   (one build, far faster than row by row)",
      "Searches stay correct in between, exact and slower. On SQLite there is no such index.",
    },
    footer = {
      "",
      "Example:",
      "  java -jar polydb.jar vector-index drop --url postgres://app@localhost/app"
    })
final class VectorIndexCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  /** What to do. */
  enum Action {
    drop,
    build
  }

  @Parameters(index = "0", description = "drop or build")
  Action action;

  @Option(names = "--url", description = "the database (default: DATABASE_URL)")
  String url;

  @Option(
      names = "--index-memory",
      defaultValue = "512MB",
      description =
          "maintenance_work_mem for the build, e.g. 256MB or 2GB (default: ${DEFAULT-VALUE});"
              + " an HNSW index that does not fit builds far slower")
  String indexMemory;

  @Override
  public Integer call() {
    if (!indexMemory.matches("[1-9][0-9]{0,6}(kB|MB|GB)")) {
      throw new ParameterException(
          root.spec.commandLine().getSubcommands().get("vector-index"),
          "--index-memory must be a size such as 512MB or 2GB: " + indexMemory);
    }
    Endpoint endpoint = Endpoint.of(url, true, root.env);
    if (endpoint.engine() == Endpoint.Engine.SQLITE) {
      root.out.println(
          endpoint.redacted()
              + ": SQLite has no vector index (its search is exact, in memory): nothing to "
              + action);
      return 0;
    }
    String done =
        action == Action.drop
            ? VectorIndexes.drop(endpoint)
            : VectorIndexes.build(endpoint, indexMemory);
    root.out.println(endpoint.redacted() + ": " + done);
    return 0;
  }
}
