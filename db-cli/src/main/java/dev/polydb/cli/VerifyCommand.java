package dev.polydb.cli;

import dev.polydb.cli.internal.ConsoleProgress;
import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.ToolException;
import dev.polydb.cli.internal.Verifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Compares two databases and checks the domain's invariants on both. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Compares two databases and checks the domain's invariants on both.",
      "Per table: row counts, an order-independent content hash, a seeded sample of rows field by"
          + " field. Exit 0 when equal and sound; exit 1 naming the table, key and field otherwise."
    },
    footer = {
      "",
      "Example:",
      "  java -jar polydb.jar verify --from sqlite:data/app.db --to postgres://app@localhost/app"
    })
final class VerifyCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Option(names = "--from", description = "one database (default: DATABASE_URL)")
  String from;

  @Option(names = "--to", required = true, description = "the other database")
  String to;

  @Option(
      names = "--sample",
      defaultValue = "100",
      description = "rows per table compared field by field (default: ${DEFAULT-VALUE})")
  int sample;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "the sample's seed: the same seed picks the same rows (default: 1)")
  long seed;

  @Option(names = "--json", description = "print the report as JSON on standard output")
  boolean json;

  @Override
  public Integer call() {
    if (sample < 0) {
      throw new picocli.CommandLine.ParameterException(
          root.spec.commandLine().getSubcommands().get("verify"), "--sample must be 0 or more");
    }
    Endpoint a = Endpoint.of(from, false, root.env);
    Endpoint b = Endpoint.of(to, false, root.env);
    Verifier.Result result =
        new Verifier(a, b, sample, seed, ConsoleProgress.forTerminal(root.err)).run();
    if (json) {
      Json.write(root.out, report(a, b, result));
    } else {
      print(result);
    }
    return result.equal() ? ToolException.OK : ToolException.FAILED;
  }

  private static Map<String, Object> report(Endpoint a, Endpoint b, Verifier.Result result) {
    List<Map<String, Object>> tables = new ArrayList<>();
    for (Verifier.TableResult t : result.tables()) {
      Map<String, Object> table = new LinkedHashMap<>();
      table.put("table", t.table());
      table.put("fromRows", t.fromRows());
      table.put("toRows", t.toRows());
      table.put("fromHash", t.fromHash());
      table.put("toHash", t.toHash());
      table.put("differingRows", t.differingRows());
      table.put("equal", t.equal());
      tables.add(table);
    }
    List<Map<String, Object>> differences = new ArrayList<>();
    for (Verifier.Difference d : result.differences()) {
      Map<String, Object> difference = new LinkedHashMap<>();
      difference.put("table", d.table());
      difference.put("key", d.key());
      difference.put("what", d.what());
      differences.add(difference);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("from", a.redacted());
    report.put("to", b.redacted());
    report.put("equal", result.equal());
    report.put("sampledRows", result.sampled());
    report.put("tables", tables);
    report.put("differences", differences);
    return report;
  }

  private void print(Verifier.Result result) {
    String format = "%-20s %12s %12s  %-32s %s%n";
    root.out.printf(format, "table", "from rows", "to rows", "content hash", "");
    for (Verifier.TableResult t : result.tables()) {
      root.out.printf(
          format,
          t.table(),
          t.fromRows(),
          t.toRows(),
          t.fromHash(),
          t.equal() ? "equal" : "DIFFERENT (" + t.differingRows() + " rows)");
    }
    for (Verifier.Difference d : result.differences()) {
      root.out.println(
          "difference: " + d.table() + (d.key().isEmpty() ? "" : " " + d.key()) + ": " + d.what());
    }
    root.out.println(
        result.equal()
            ? "equal: every table, " + result.sampled() + " sampled rows, all invariants hold"
            : "NOT EQUAL: " + result.differences().size() + " differences listed");
  }
}
