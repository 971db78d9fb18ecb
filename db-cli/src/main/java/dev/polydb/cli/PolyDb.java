package dev.polydb.cli;

import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbTransientException;
import dev.polydb.cli.internal.Secrets;
import dev.polydb.cli.internal.ToolException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code polydb}, the operations tool: migrate a database, copy SQLite into PostgreSQL, verify the
 * copy, diagnose either. Exit codes: 0 done (and equal), 1 differences found or the work failed, 2
 * bad usage, 3 cannot connect or a database or setting was refused.
 */
@Command(
    name = "polydb",
    mixinStandardHelpOptions = true,
    versionProvider = PolyDb.Version.class,
    description =
        "Operations on a polydb database: migrate, copy SQLite into PostgreSQL, verify, production"
            + " roles, exports.",
    subcommands = {
      MigrateCommand.class,
      InfoCommand.class,
      ValidateCommand.class,
      CopyCommand.class,
      VerifyCommand.class,
      DoctorCommand.class,
      VectorIndexCommand.class,
      RolesCommand.class,
      ExportCommand.class,
      ValidateExportCommand.class,
      TenantsCommand.class,
      MirrorCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "URLs take the forms DATABASE_URL takes; --url and --from default to DATABASE_URL.",
      "Exit codes: 0 done and equal, 1 differences found or the work failed, 2 bad usage, 3 cannot"
          + " connect or a database or setting was refused.",
      "",
      "Example:",
      "  java -jar polydb.jar copy --from sqlite:data/app.db --to postgres://app@localhost/app"
    })
public final class PolyDb implements Runnable {
  final Map<String, String> env;
  final PrintStream out;
  final PrintStream err;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private PolyDb(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the tool and exits with its code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /**
   * Runs the tool in this process.
   *
   * @param args the command line
   * @param env the environment ({@code DATABASE_URL} and the {@code DB_*} settings)
   * @param out where results go
   * @param err where progress and errors go
   * @return the exit code
   */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    String environmentUrl = env.get("DATABASE_URL");
    if (environmentUrl != null) {
      Secrets.rememberUrl(environmentUrl);
    }
    CommandLine commandLine = new CommandLine(new PolyDb(env, out, err));
    commandLine.setUsageHelpWidth(100);
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    commandLine.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          int code = exitCode(e);
          err.println(command.getCommandSpec().qualifiedName() + ": " + message(e));
          return code;
        });
    return commandLine.execute(args);
  }

  private static int exitCode(Exception e) {
    if (e instanceof ToolException t) {
      return t.exitCode();
    }
    if (e instanceof DbConfigException || e instanceof DbTransientException) {
      return ToolException.CONFIG;
    }
    SQLException sql = sqlCause(e);
    return sql != null && ToolException.isConnectionFailure(sql)
        ? ToolException.CONFIG
        : ToolException.FAILED;
  }

  /**
   * One line, without a password the tool was given. The tool's and the library's own messages are
   * shown; for anything else (Flyway, a driver) the kind of error and its SQLState, never the
   * driver's text, which may quote row values.
   */
  private static String message(Exception e) {
    String text;
    if (e instanceof ToolException || e instanceof DbException) {
      text = e.getMessage();
    } else if (sqlCause(e) != null) {
      text = "database error (" + ToolException.describe(sqlCause(e)) + ")";
    } else {
      text = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    return Secrets.scrub(String.valueOf(text)).replaceAll("\\s*[\\r\\n]+\\s*", "; ");
  }

  private static SQLException sqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return sql;
      }
    }
    return null;
  }

  @Override
  public void run() {
    spec.commandLine().usage(out);
  }

  /** The tool's version, from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = PolyDb.class.getPackage().getImplementationVersion();
      return new String[] {"polydb " + (version == null ? "(development build)" : version)};
    }
  }
}
