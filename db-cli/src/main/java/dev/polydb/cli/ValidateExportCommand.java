package dev.polydb.cli;

import dev.polydb.cli.internal.ExportValidator;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.ToolException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Checks an export before anyone imports it. */
@Command(
    name = "validate-export",
    mixinStandardHelpOptions = true,
    description = {
      "Checks a SQL file before it is imported into production and lets through only what"
          + " polydb export writes. It reads the file by PostgreSQL's and psql's lexical rules"
          + " (quotes, E'' strings, dollar quoting, nested comments, quoted identifiers) and lists"
          + " each reason to refuse it, with its line: text that is not UTF-8 or holds NUL; no"
          + " BEGIN … COMMIT around everything; a statement other than BEGIN, COMMIT, the two SET"
          + " commands export writes and INSERT INTO an exported table of constants with ON"
          + " CONFLICT DO NOTHING; psql meta-commands or variables; COPY; role, privilege,"
          + " extension, schema or search-path changes; functions that reach the server's files"
          + " or network; no users.",
      "Exit 0 only for a file it lets through, 1 with the reasons otherwise."
    },
    footer = {"", "Example:", "  java -jar polydb.jar validate-export user.sql"})
final class ValidateExportCommand implements Callable<Integer> {
  @ParentCommand PolyDb root;

  @Parameters(index = "0", paramLabel = "FILE", description = "the file to check")
  Path file;

  @Option(names = "--json", description = "print the result as JSON on standard output")
  boolean json;

  @Override
  public Integer call() {
    if (file.toString().startsWith("-")) {
      // psql -f - reads standard input, not a file of that name
      throw ToolException.config(
          "a file name starting with - is read otherwise by psql: rename it");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw ToolException.config("cannot read " + file);
    }
    List<ExportValidator.Problem> problems;
    try {
      problems = ExportValidator.validate(file);
    } catch (IOException e) {
      throw ToolException.config("cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (ExportValidator.Problem p : problems) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("line", p.line());
        row.put("reason", p.reason());
        rows.add(row);
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("file", file.toString());
      result.put("valid", problems.isEmpty());
      result.put("problems", rows);
      Json.write(root.out, result);
    } else if (problems.isEmpty()) {
      root.out.println(file + ": valid; import it as the import role with");
      root.out.println("  psql -X -v ON_ERROR_STOP=1 --single-transaction -f " + file + " <URL>");
    } else {
      root.out.println(
          file + ": refused, " + problems.size() + " reason" + (problems.size() == 1 ? "" : "s"));
      problems.forEach(p -> root.out.println("  " + p));
    }
    return problems.isEmpty() ? ToolException.OK : ToolException.FAILED;
  }
}
