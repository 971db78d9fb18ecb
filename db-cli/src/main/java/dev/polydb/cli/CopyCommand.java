package dev.polydb.cli;

import dev.polydb.cli.internal.ConsoleProgress;
import dev.polydb.cli.internal.Copier;
import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.Progress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Copies a SQLite database into PostgreSQL. */
@Command(
    name = "copy",
    mixinStandardHelpOptions = true,
    description = {
      "Copies a SQLite database into PostgreSQL.",
      "Every table, same ids, same bytes, in foreign-key order, through COPY in batches, from one"
          + " snapshot of the file, which is never written. An empty target is migrated to the"
          + " source's schema version and vector settings. Each batch commits with its progress:"
          + " after a crash or a kill, rerun with --resume."
    },
    footer = {
      "",
      "Example:",
      "  java -jar polydb.jar copy --from sqlite:data/app.db --to postgres://app@localhost/app"
    })
final class CopyCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Option(names = "--from", description = "the SQLite database (default: DATABASE_URL)")
  String from;

  @Option(names = "--to", required = true, description = "the PostgreSQL database")
  String to;

  @Option(names = "--resume", description = "finish a copy that was interrupted")
  boolean resume;

  @Option(
      names = "--truncate-target",
      description = "empty the target's library tables first (their rows are lost)")
  boolean truncateTarget;

  @Option(
      names = "--batch-rows",
      defaultValue = "10000",
      description = "rows per committed batch (default: ${DEFAULT-VALUE})")
  int batchRows;

  @Option(
      names = "--batch-mb",
      defaultValue = "4",
      description = "megabytes per committed batch at most (default: ${DEFAULT-VALUE})")
  int batchMegabytes;

  @Option(
      names = "--index-memory",
      defaultValue = "512MB",
      description =
          "maintenance_work_mem for rebuilding the indexes, e.g. 256MB or 2GB"
              + " (default: ${DEFAULT-VALUE}); an HNSW index that does not fit builds far slower")
  String indexMemory;

  @Option(names = "--json", description = "print the summary as JSON on standard output")
  boolean json;

  @Override
  public Integer call() {
    if (batchRows < 1 || batchMegabytes < 1 || batchMegabytes > 1024) {
      throw new picocli.CommandLine.ParameterException(
          root.spec.commandLine().getSubcommands().get("copy"),
          "--batch-rows must be at least 1 and --batch-mb between 1 and 1024");
    }
    if (!indexMemory.matches("[1-9][0-9]{0,6}(kB|MB|GB)")) {
      throw new picocli.CommandLine.ParameterException(
          root.spec.commandLine().getSubcommands().get("copy"),
          "--index-memory must be a size such as 512MB or 2GB: " + indexMemory);
    }
    Endpoint source = Endpoint.of(from, false, root.env);
    Endpoint target = Endpoint.of(to, true, root.env);
    Progress progress = ConsoleProgress.forTerminal(root.err);
    long started = System.nanoTime();
    List<Copier.TableReport> reports =
        new Copier(
                source,
                target,
                new Copier.Options(
                    batchRows, (long) batchMegabytes << 20, resume, truncateTarget, indexMemory),
                progress)
            .run();
    double seconds = (System.nanoTime() - started) / 1e9;
    if (json) {
      Json.write(root.out, summary(source, target, reports, seconds));
    } else {
      print(reports, seconds);
    }
    return 0;
  }

  private static Map<String, Object> summary(
      Endpoint source, Endpoint target, List<Copier.TableReport> reports, double seconds) {
    List<Map<String, Object>> tables = new ArrayList<>();
    for (Copier.TableReport r : reports) {
      Map<String, Object> table = new LinkedHashMap<>();
      table.put("table", r.table());
      table.put("rowsRead", r.rowsRead());
      table.put("rowsWritten", r.rowsWritten());
      table.put("rowsCopiedBefore", r.rowsBefore());
      table.put("seconds", round(r.seconds()));
      table.put("rowsPerSecond", round(rate(r.rowsWritten(), r.seconds())));
      table.put("megabytesPerSecond", round(rate(r.bytes() / 1e6, r.seconds())));
      tables.add(table);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("from", source.redacted());
    result.put("to", target.redacted());
    result.put("tables", tables);
    result.put("rowsWritten", reports.stream().mapToLong(Copier.TableReport::rowsWritten).sum());
    result.put("seconds", round(seconds));
    return result;
  }

  private void print(List<Copier.TableReport> reports, double seconds) {
    String format = "%-20s %12s %12s %9s %10s %8s%n";
    root.out.printf(format, "table", "rows read", "rows written", "seconds", "rows/s", "MB/s");
    long read = 0;
    long written = 0;
    long bytes = 0;
    for (Copier.TableReport r : reports) {
      root.out.printf(
          format,
          r.table(),
          r.rowsRead(),
          r.rowsWritten(),
          String.format("%.2f", r.seconds()),
          String.format("%.0f", rate(r.rowsWritten(), r.seconds())),
          String.format("%.2f", rate(r.bytes() / 1e6, r.seconds())));
      read += r.rowsRead();
      written += r.rowsWritten();
      bytes += r.bytes();
    }
    root.out.printf(
        format,
        "total",
        read,
        written,
        String.format("%.2f", seconds),
        String.format("%.0f", rate(written, seconds)),
        String.format("%.2f", rate(bytes / 1e6, seconds)));
  }

  private static double rate(double amount, double seconds) {
    return seconds <= 0 ? 0 : amount / seconds;
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
