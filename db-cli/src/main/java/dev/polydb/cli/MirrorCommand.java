package dev.polydb.cli;

import dev.polydb.cli.internal.Endpoint;
import dev.polydb.cli.internal.Json;
import dev.polydb.cli.internal.ToolException;
import dev.polydb.mirror.MirrorAdmin;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code polydb mirror}: how far a mirror is behind its SQLite file, and rebuilding it. */
@Command(
    name = "mirror",
    mixinStandardHelpOptions = true,
    description = {
      "Mirror mode (DB_MODE=mirror, docs/modes.md): SQLite answers, every write is replayed to"
          + " PostgreSQL. 'verify --from <file> --to <mirror>' compares the data itself."
    },
    subcommands = {MirrorCommand.Status.class, MirrorCommand.Resync.class})
final class MirrorCommand implements Runnable {
  @ParentCommand PolyDb root;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(root.out);
  }

  /** {@code --to}, else {@code DB_MIRROR_URL}; never DATABASE_URL, which is the SQLite file. */
  private String target(String to) {
    String url = to != null ? to : root.env.get("DB_MIRROR_URL");
    if (url == null || url.isBlank()) {
      throw ToolException.config("give the mirror with --to, or set DB_MIRROR_URL");
    }
    return url;
  }

  /** {@code mirror status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Reports the writes the SQLite file logged, the last one the mirror holds, and whether"
            + " replay can still bring the mirror in line. Changes nothing.",
        "Exit 0 when the mirror can catch up by replay (it may be behind), 1 when it cannot."
      },
      footer = {
        "",
        "Example:",
        "  java -jar polydb.jar mirror status --from sqlite:data/app.db --to postgres://…"
      })
  static final class Status implements Callable<Integer> {
    @ParentCommand MirrorCommand mirror;

    @Option(names = "--from", description = "the SQLite file (default: DATABASE_URL)")
    String from;

    @Option(names = "--to", description = "the mirror (default: DB_MIRROR_URL)")
    String to;

    @Option(names = "--json", description = "print the report as JSON on standard output")
    boolean json;

    @Override
    public Integer call() {
      Endpoint file = Endpoint.of(from, false, mirror.root.env);
      Endpoint target = Endpoint.of(mirror.target(to), false, mirror.root.env);
      if (file.engine() != Endpoint.Engine.SQLITE || target.engine() != Endpoint.Engine.POSTGRES) {
        throw ToolException.config(
            "mirror status reads a SQLite file (--from) and a PostgreSQL mirror (--to)");
      }
      MirrorAdmin.Report report;
      try (Connection a = file.connect();
          Connection b = target.connect()) {
        report = MirrorAdmin.report(a, b);
      } catch (SQLException e) {
        throw ToolException.failed("could not read the mirror: " + ToolException.describe(e), e);
      }
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from", file.redacted());
        out.put("to", target.redacted());
        out.put("mirrored", report.mirrored());
        out.put("lastWrite", report.lastWrite());
        out.put("position", report.position().orElse(null));
        out.put("behind", report.behind());
        out.put("problem", report.problem().orElse(null));
        Json.write(mirror.root.out, out);
      } else {
        mirror.root.out.println(
            file.redacted()
                + (report.mirrored()
                    ? " logs its writes for a mirror"
                    : " does not log its writes (not in mirror mode)")
                + "; last write "
                + report.lastWrite());
        mirror.root.out.println(
            target.redacted()
                + ": "
                + report
                    .position()
                    .map(p -> "holds writes up to " + p)
                    .orElse("holds no position for this file")
                + ", "
                + report.behind()
                + " behind");
        mirror.root.out.println(
            report
                .problem()
                .map(p -> "CANNOT CATCH UP: " + p)
                .orElse("replay can bring it in line"));
      }
      return report.problem().isPresent() ? ToolException.FAILED : 0;
    }
  }

  /** {@code mirror resync}. */
  @Command(
      name = "resync",
      mixinStandardHelpOptions = true,
      description = {
        "Empties the mirror's tables and forgets its position, in one transaction; the"
            + " application in mirror mode then rebuilds it from a snapshot of the SQLite file,"
            + " within seconds if it runs, else when it starts. Refuses a database that holds"
            + " data and was never a mirror.",
        "Deletes the mirror's rows: asks on the terminal, or takes --yes."
      },
      footer = {"", "Example:", "  java -jar polydb.jar mirror resync --to postgres://… --yes"})
  static final class Resync implements Callable<Integer> {
    @ParentCommand MirrorCommand mirror;

    @Option(names = "--to", description = "the mirror (default: DB_MIRROR_URL)")
    String to;

    @Option(names = "--yes", description = "empty it without asking")
    boolean yes;

    @Override
    public Integer call() {
      Endpoint target = Endpoint.of(mirror.target(to), true, mirror.root.env);
      if (target.engine() != Endpoint.Engine.POSTGRES) {
        throw ToolException.config("mirror resync empties a PostgreSQL mirror (--to)");
      }
      if (!yes) {
        java.io.Console console = System.console();
        if (console == null) {
          throw new CommandLine.ParameterException(
              mirror.spec.commandLine().getSubcommands().get("resync"),
              "resync deletes the mirror's rows: pass --yes");
        }
        String answer =
            console.readLine("empty %s and rebuild it from the file? [y/N] ", target.redacted());
        if (answer == null || !answer.strip().equalsIgnoreCase("y")) {
          throw ToolException.config("not confirmed: nothing changed");
        }
      }
      String tables;
      try (Connection c = target.connect()) {
        tables = MirrorAdmin.resync(c);
      } catch (SQLException e) {
        throw ToolException.failed("could not empty the mirror: " + ToolException.describe(e), e);
      } catch (IllegalStateException e) {
        throw ToolException.config(e.getMessage());
      }
      mirror.root.out.println(
          target.redacted()
              + ": emptied ("
              + tables
              + "); mirror mode rebuilds it from the SQLite file");
      return 0;
    }
  }
}
