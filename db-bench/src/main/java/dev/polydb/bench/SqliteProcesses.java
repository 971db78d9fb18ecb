package dev.polydb.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.RotationResult;
import dev.polydb.api.UserProfile;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * SQLite with several processes writing one file: each process, a JVM of its own, rotates a refresh
 * token of its own (a transaction of an update and an insert) from one thread for a fixed time,
 * through the library or by hand with the same PRAGMAs and {@code BEGIN IMMEDIATE}. The two ways
 * run one after the other on a fresh file each, the order alternating by round. Prints one JSON
 * line per way and round: the commits per second of all processes together, and the busy errors a
 * caller saw.
 *
 * <p>{@code java -cp benchmarks.jar dev.polydb.bench.SqliteProcesses --processes 2 --seconds 10
 * --rounds 3} ({@code --first-round n} numbers the rounds from n: odd rounds run the library
 * first).
 */
public final class SqliteProcesses {
  private static final int USERS = 1_000;

  private SqliteProcesses() {}

  /**
   * Runs the rounds, or (with {@code --child}) one writing process.
   *
   * @param args {@code --processes n --seconds n --rounds n --first-round n}, or {@code --child way
   *     file start seconds}
   * @throws Exception when a process fails
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--child")) {
      child(args[1], Path.of(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]));
      return;
    }
    int processes = 2;
    int seconds = 10;
    int rounds = 3;
    int firstRound = 1;
    for (int i = 0; i + 1 < args.length; i += 2) {
      int value = Integer.parseInt(args[i + 1]);
      switch (args[i]) {
        case "--processes" -> processes = value;
        case "--seconds" -> seconds = value;
        case "--rounds" -> rounds = value;
        case "--first-round" -> firstRound = value; // db-bench/run's round, for the order

        default -> throw new IllegalArgumentException("unknown option: " + args[i]);
      }
    }
    for (int round = firstRound; round < firstRound + rounds; round++) {
      List<String> ways = round % 2 == 1 ? List.of("library", "jdbc") : List.of("jdbc", "library");
      for (String way : ways) {
        measure(round, way, processes, seconds);
      }
    }
  }

  private static void measure(int round, String way, int processes, int seconds)
      throws IOException, InterruptedException {
    Path folder = Files.createTempDirectory("polydb-processes");
    Path file = folder.resolve("bench.db");
    try (DbProvider db = DbProviders.open(config(file))) {
      for (int i = 0; i < USERS; i++) {
        db.users().create("google", "subject-" + i, UserProfile.EMPTY);
      }
    }
    // every process starts writing at the same instant, once all have started their JVM
    long start = System.currentTimeMillis() + 3_000;
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Process> children = new ArrayList<>();
    for (int p = 0; p < processes; p++) {
      children.add(
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  SqliteProcesses.class.getName(),
                  "--child",
                  way,
                  file.toString(),
                  Long.toString(start),
                  Integer.toString(seconds))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start());
    }
    long commits = 0;
    long busy = 0;
    for (Process child : children) {
      String line;
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        line = out.readLine();
      }
      if (child.waitFor() != 0 || line == null) {
        throw new IllegalStateException("a " + way + " process failed");
      }
      String[] figures = line.split(" ");
      commits += Long.parseLong(figures[0]);
      busy += Long.parseLong(figures[1]);
    }
    System.out.printf(
        Locale.ROOT,
        "sqlite-processes: {\"round\": %d, \"way\": \"%s\", \"processes\": %d, \"seconds\": %d,"
            + " \"commits_per_second\": %.1f, \"busy\": %d}%n",
        round,
        way,
        processes,
        seconds,
        commits / (double) seconds,
        busy);
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  private static DbConfig config(Path file) {
    return DbConfig.builder().url("sqlite:" + file).poolSize(Fixture.POOL_SIZE).build();
  }

  /** One writing process: prints its commits and the busy errors its caller saw. */
  private static void child(String way, Path file, long start, long seconds) throws Exception {
    long commits = 0;
    long busy = 0;
    if (way.equals("library")) {
      try (DbProvider db = DbProviders.open(config(file))) {
        List<String> users =
            userIds(DbProviders.factoryFor("sqlite:" + file).dataSource(config(file)));
        String user = users.get(0);
        String token = db.refreshTokens().issue(user).token();
        Thread.sleep(Math.max(0, start - System.currentTimeMillis()));
        long end = start + seconds * 1_000;
        while (System.currentTimeMillis() < end) {
          try {
            RotationResult result = db.refreshTokens().rotate(token, user);
            token = ((RotationResult.Rotated) result).next().token();
            commits++;
          } catch (DbTransientException e) {
            // nothing was written: the token is still the live one
            busy++;
          }
        }
      }
    } else {
      DataSource plain = DbProviders.factoryFor("sqlite:" + file).dataSource(config(file));
      if (plain instanceof SQLiteDataSource sqlite) {
        sqlite.setTransactionMode("IMMEDIATE");
        sqlite.setSynchronous("NORMAL");
      }
      HikariConfig hikari = new HikariConfig();
      hikari.setDataSource(plain);
      hikari.setMaximumPoolSize(Fixture.POOL_SIZE);
      try (HikariDataSource pool = new HikariDataSource(hikari)) {
        Jdbc jdbc = new Jdbc(pool, false);
        String user = userIds(pool).get(0);
        String token = jdbc.issueOneStatement(user);
        Thread.sleep(Math.max(0, start - System.currentTimeMillis()));
        long end = start + seconds * 1_000;
        while (System.currentTimeMillis() < end) {
          try {
            token = jdbc.rotate(token, user).orElseThrow().token();
            commits++;
          } catch (SQLiteException e) {
            if ((e.getResultCode().code & 0xFF) != SQLiteErrorCode.SQLITE_BUSY.code) {
              throw e;
            }
            busy++;
          }
        }
      }
    }
    System.out.println(commits + " " + busy);
  }

  private static List<String> userIds(DataSource source) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (Connection c = source.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT id FROM users ORDER BY id")) {
      while (r.next()) {
        ids.add(r.getString(1));
      }
    }
    return ids;
  }
}
