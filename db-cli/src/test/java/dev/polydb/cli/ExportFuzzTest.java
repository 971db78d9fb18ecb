package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.User;
import dev.polydb.cli.internal.ExportValidator;
import dev.polydb.testkit.FreshDatabases;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutants of real exports against validate-export and the real import: every mutant built to be
 * disallowed (a forbidden statement at a statement boundary, a forbidden value in a row, bytes that
 * are not UTF-8, a transaction wrapper or ON CONFLICT taken away) must be refused; every mutant it
 * accepts, whatever it was built from (truncations, byte flips, quoting tricks, lines moved), is
 * imported with psql as the import role and either succeeds or fails with the target's rows
 * unchanged, and nothing outside the exported tables ever changes. The seed is printed; {@code
 * -Dpolydb.fuzz.seed=N} replays a run, {@code -Dpolydb.fuzz.mutants=N} sets its size.
 */
class ExportFuzzTest {
  private static final int DIMENSION = 4;

  /** Statements no export may hold, each injected in several casings and spacings. */
  private static final List<String> FORBIDDEN_STATEMENTS =
      List.of(
          "\\! id",
          "\\copy users from '/etc/passwd'",
          "\\i /etc/passwd",
          "\\o /tmp/polydb-fuzz",
          "\\set ON_ERROR_STOP 0",
          "\\connect postgres",
          "COPY users FROM PROGRAM 'id';",
          "COPY users FROM '/etc/passwd';",
          "COPY users TO '/tmp/polydb-fuzz';",
          "COPY users FROM STDIN;",
          "CREATE ROLE polydb_fuzz_evil SUPERUSER;",
          "ALTER ROLE CURRENT_USER SUPERUSER;",
          "GRANT ALL ON users TO PUBLIC;",
          "REVOKE ALL ON users FROM PUBLIC;",
          "SET ROLE postgres;",
          "SET SESSION AUTHORIZATION postgres;",
          "RESET ROLE;",
          "DROP ROLE polydb_fuzz_evil;",
          "CREATE EXTENSION dblink;",
          "DROP EXTENSION vector CASCADE;",
          "ALTER EXTENSION vector UPDATE;",
          "CREATE SCHEMA polydb_fuzz_evil;",
          "DROP SCHEMA public CASCADE;",
          "SET search_path = polydb_fuzz_evil, public;",
          "SET search_path TO pg_catalog;",
          "SELECT set_config('search_path', 'polydb_fuzz_evil', false);",
          "SELECT pg_read_file('/etc/passwd');",
          "SELECT lo_import('/etc/passwd');",
          "SELECT dblink_exec('host=evil', 'select 1');",
          "SELECT pg_ls_dir('.');",
          "DELETE FROM users;",
          "UPDATE users SET email = NULL;",
          "TRUNCATE users CASCADE;",
          "DROP TABLE users CASCADE;",
          "DO $$BEGIN PERFORM 1; END$$;",
          "ROLLBACK;",
          "COMMIT;",
          "BEGIN;",
          "INSERT INTO refresh_tokens (id) VALUES ('x') ON CONFLICT DO NOTHING;",
          "INSERT INTO revoked_jtis (jti) VALUES ('x') ON CONFLICT DO NOTHING;",
          "INSERT INTO users (id) VALUES ('x');",
          "LOAD 'polydb_fuzz';",
          "SELECT 1;");

  /** Values no export may hold, put in place of a constant in a row. */
  private static final List<String> FORBIDDEN_VALUES =
      List.of(
          "pg_read_file('/etc/passwd')",
          "\"pg_read_file\"('/etc/passwd')",
          "pg_catalog.pg_read_file('/etc/passwd')",
          "PG_READ_FILE ('/etc/passwd')",
          "lo_import('/etc/passwd')",
          "dblink('host=evil', 'select 1')",
          "(SELECT 'x')",
          "'x'::text",
          ":'x'",
          ":x",
          "current_user",
          "upper('x')",
          "$1",
          "(pg_sleep(1))::text",
          "set_config('search_path', 'x', false)",
          "E'x' || 'y'",
          "B'1'");

  /** Text dropped at a random place: may open or close quotes and comments. */
  private static final List<String> TRICKS =
      List.of(
          "'",
          "''",
          "E'\\'",
          "\\'",
          "$$",
          "$x$",
          "\"",
          "/*",
          "*/",
          "--",
          "\\",
          ";",
          "(",
          ")",
          ",",
          "\n",
          "\r",
          "-- \r",
          "'; COPY users FROM PROGRAM 'id'; --",
          "$$; SELECT pg_read_file('/etc/passwd'); $$",
          "E'\\'; DROP TABLE users; --'",
          "'); DELETE FROM users; --",
          "/* */ ; \\! id\n");

  private static final byte[][] BAD_BYTES = {
    {0},
    {(byte) 0xC3, 0x28},
    {(byte) 0xFF},
    {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
    {(byte) 0xC0, (byte) 0xAF},
    {(byte) 0x80}
  };

  private static final Pattern CLEAN_CONSTANT = Pattern.compile("(?<=[( ])'[^'\\n]*'(?=[,)])");

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();
  @RegisterExtension final Productions productions = new Productions(databases);

  @TempDir Path dir;

  @Test
  void mutantsOfRealExportsAreRefusedOrImportAllOrNothing() throws Exception {
    long seed = Long.getLong("polydb.fuzz.seed", new SecureRandom().nextLong());
    int mutants = Integer.getInteger("polydb.fuzz.mutants", 10_000);
    System.out.println(
        "export fuzz: seed " + seed + " (replay with -Dpolydb.fuzz.seed=" + seed + ")");
    Random random = new Random(seed);

    List<byte[]> bases = exports();
    ServerRoles roles = productions.migrated(DIMENSION, SampleDatabase.MODEL);
    String psql = psql(roles);
    String importUrl = roles.urlAs("import");

    Map<String, Integer> figures = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Path file = dir.resolve("mutant.sql");
    try (Connection admin = ServerRoles.connect(roles.adminUrl)) {
      String invariants = invariants(admin);
      for (int i = 0; i < mutants; i++) {
        byte[] base = bases.get(random.nextInt(bases.size()));
        Mutant mutant = mutate(base, random);
        count(figures, "tried");
        Files.write(file, mutant.bytes());
        boolean accepted = ExportValidator.validate(file).isEmpty();
        if (!accepted) {
          count(figures, "refused");
          continue;
        }
        count(figures, "accepted");
        if (mutant.disallowed()) {
          failures.add("accepted a disallowed mutant (" + mutant.how() + ") of mutant " + i);
          continue;
        }
        if (!seen.add(digest(mutant.bytes()))) {
          count(figures, "accepted, already imported");
          continue;
        }
        Map<String, Long> before = counts(admin);
        int exit = importFile(psql, file, importUrl);
        Map<String, Long> after = counts(admin);
        if (exit == 0) {
          count(figures, "imported");
          before.forEach(
              (table, rows) -> {
                if (after.get(table) < rows) {
                  failures.add("an import removed rows of " + table + " (" + mutant.how() + ")");
                }
              });
        } else {
          count(figures, "import failed, rows unchanged");
          if (!after.equals(before)) {
            failures.add(
                "a failed import changed rows (" + mutant.how() + "): " + before + " -> " + after);
          }
        }
      }
      assertThat(invariants(admin))
          .as("roles, schemas, extensions, other tables")
          .isEqualTo(invariants);
    }
    System.out.println("export fuzz: " + figures);
    Files.writeString(Path.of("target", "export-fuzz.txt"), "seed " + seed + "\n" + figures + "\n");
    assertThat(failures).as("seed " + seed).isEmpty();
    assertThat(figures.get("tried")).isEqualTo(mutants);
    assertThat(figures.getOrDefault("refused", 0)).isPositive();
    assertThat(figures.getOrDefault("imported", 0)).isPositive();
  }

  /** Two real exports of a sample written through the library. */
  private List<byte[]> exports() throws IOException {
    String source = SampleDatabase.write(dir.resolve("app.db"), DIMENSION, 3);
    String rich;
    try (DbProvider db =
        DbProviders.open(
            DbConfig.builder()
                .url(source)
                .vectorDimension(DIMENSION)
                .embeddingModel(SampleDatabase.MODEL)
                .mutationsEnabled(false)
                .build())) {
      User user = db.users().findByProvider("github", SampleDatabase.EMOJI_RTL).orElseThrow();
      rich = user.id();
    }
    Path user = dir.resolve("user.sql");
    Path documents = dir.resolve("documents.sql");
    assertThat(Cli.run("export", "--url", source, "--user", rich, "--out", user.toString()).exit())
        .isZero();
    assertThat(
            Cli.run(
                    "export",
                    "--url",
                    source,
                    "--documents",
                    "doc-0",
                    "doc-2",
                    "--out",
                    documents.toString())
                .exit())
        .isZero();
    List<byte[]> bases = List.of(Files.readAllBytes(user), Files.readAllBytes(documents));
    for (Path base : List.of(user, documents)) {
      assertThat(ExportValidator.validate(base)).isEmpty();
    }
    return bases;
  }

  /**
   * A mutant.
   *
   * @param bytes its text
   * @param disallowed whether it was built to be refused
   * @param how how it was made, for a failure's message
   */
  record Mutant(byte[] bytes, boolean disallowed, String how) {}

  private static Mutant mutate(byte[] base, Random random) {
    String text = new String(base, StandardCharsets.UTF_8);
    switch (random.nextInt(9)) {
      case 0 -> {
        int at = random.nextInt(base.length);
        return new Mutant(java.util.Arrays.copyOf(base, at), false, "truncated at " + at);
      }
      case 1 -> {
        byte[] bytes = base.clone();
        int flips = 1 + random.nextInt(3);
        for (int f = 0; f < flips; f++) {
          int at = random.nextInt(bytes.length);
          bytes[at] =
              random.nextBoolean()
                  ? (byte) (bytes[at] ^ (1 << random.nextInt(8)))
                  : (byte) (0x20 + random.nextInt(0x5f));
        }
        return new Mutant(bytes, false, flips + " byte flips");
      }
      case 2, 3 -> {
        String form =
            vary(FORBIDDEN_STATEMENTS.get(random.nextInt(FORBIDDEN_STATEMENTS.size())), random);
        List<Integer> boundaries = new ArrayList<>();
        boundaries.add(0);
        for (int at = text.indexOf(";\n"); at >= 0; at = text.indexOf(";\n", at + 1)) {
          boundaries.add(at + 2);
        }
        int at = boundaries.get(random.nextInt(boundaries.size()));
        String mutant = text.substring(0, at) + form + "\n" + text.substring(at);
        return new Mutant(utf8(mutant), true, "statement injected: " + form);
      }
      case 4 -> {
        List<int[]> constants = new ArrayList<>();
        Matcher m = CLEAN_CONSTANT.matcher(text);
        while (m.find()) {
          constants.add(new int[] {m.start(), m.end()});
        }
        int[] span = constants.get(random.nextInt(constants.size()));
        String value = vary(FORBIDDEN_VALUES.get(random.nextInt(FORBIDDEN_VALUES.size())), random);
        String mutant = text.substring(0, span[0]) + value + text.substring(span[1]);
        return new Mutant(utf8(mutant), true, "value replaced: " + value);
      }
      case 5 -> {
        int at = random.nextInt(text.length() + 1);
        String trick = TRICKS.get(random.nextInt(TRICKS.size()));
        String mutant = text.substring(0, at) + trick + text.substring(at);
        return new Mutant(utf8(mutant), false, "trick inserted: " + trick.replace("\n", "\\n"));
      }
      case 6 -> {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        int a = random.nextInt(lines.size());
        int b = random.nextInt(lines.size());
        String how;
        switch (random.nextInt(3)) {
          case 0 -> {
            lines.remove(a);
            how = "line removed";
          }
          case 1 -> {
            lines.add(b, lines.get(a));
            how = "line repeated";
          }
          default -> {
            String swap = lines.get(a);
            lines.set(a, lines.get(b));
            lines.set(b, swap);
            how = "lines swapped";
          }
        }
        return new Mutant(utf8(String.join("\n", lines)), false, how);
      }
      case 7 -> {
        byte[] bad = BAD_BYTES[random.nextInt(BAD_BYTES.length)];
        int at = random.nextInt(base.length + 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(base, 0, at);
        out.writeBytes(bad);
        out.write(base, at, base.length - at);
        return new Mutant(out.toByteArray(), true, "bytes that are not UTF-8 or NUL at " + at);
      }
      default -> {
        String[] removable = {
          "BEGIN;\n", "COMMIT;\n", "\nON CONFLICT DO NOTHING", "INSERT INTO users"
        };
        String remove = removable[random.nextInt(removable.length)];
        String mutant =
            remove.equals("INSERT INTO users")
                ? text.replaceFirst("(?s)INSERT INTO users .*?NOTHING;\n", "")
                : text.replaceFirst(Pattern.quote(remove), "");
        return new Mutant(utf8(mutant), true, "removed: " + remove.trim());
      }
    }
  }

  /** The same form in another casing, spacing or with a comment in it. */
  private static String vary(String form, Random random) {
    if (form.startsWith("\\")) {
      return form;
    }
    StringBuilder out = new StringBuilder();
    int casing = random.nextInt(3);
    boolean inQuote = false;
    for (char c : form.toCharArray()) {
      if (c == '\'') {
        inQuote = !inQuote;
      }
      if (!inQuote && c == ' ') {
        out.append(
            switch (random.nextInt(4)) {
              case 0 -> " ";
              case 1 -> "\n  ";
              case 2 -> "/**/";
              default -> " -- note\n";
            });
        continue;
      }
      char v =
          inQuote
              ? c
              : switch (casing) {
                case 0 -> c;
                case 1 -> Character.toLowerCase(c);
                default ->
                    random.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c);
              };
      out.append(v);
    }
    return out.toString();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void count(Map<String, Integer> figures, String what) {
    figures.merge(what, 1, Integer::sum);
  }

  private static String digest(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static Map<String, Long> counts(Connection admin) throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    try (Statement s = admin.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM subscriptions),"
                    + " (SELECT count(*) FROM subscription_events),"
                    + " (SELECT count(*) FROM journal_entries), (SELECT count(*) FROM chunks)")) {
      r.next();
      String[] tables = {
        "users", "subscriptions", "subscription_events", "journal_entries", "chunks"
      };
      for (int i = 0; i < tables.length; i++) {
        counts.put(tables[i], r.getLong(i + 1));
      }
    }
    return counts;
  }

  /** What no import may change: roles, schemas, extensions, the tables an export never holds. */
  private static String invariants(Connection admin) throws SQLException {
    try (Statement s = admin.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT (SELECT string_agg(rolname || rolsuper::text, ',' ORDER BY rolname)"
                    + " FROM pg_roles) || ' ' || (SELECT string_agg(nspname, ',' ORDER BY nspname)"
                    + " FROM pg_namespace) || ' ' || (SELECT string_agg(extname || extversion, ','"
                    + " ORDER BY extname) FROM pg_extension) || ' ' || (SELECT count(*) FROM"
                    + " refresh_tokens) || ' ' || (SELECT count(*) FROM revoked_jtis) || ' ' ||"
                    + " (SELECT count(*) FROM schema_migrations) || ' ' || (SELECT"
                    + " string_agg(dimension || metric || coalesce(model, ''), ',') FROM"
                    + " vector_settings)")) {
      r.next();
      return r.getString(1);
    }
  }

  private int importFile(String psql, Path file, String url)
      throws IOException, InterruptedException {
    Path log = dir.resolve("psql.log");
    ProcessBuilder builder =
        new ProcessBuilder(
                psql,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-f",
                file.toString(),
                url)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("PGOPTIONS", "-c client_min_messages=error");
    builder.environment().put("PGCONNECT_TIMEOUT", "10");
    Process process = builder.start();
    process.getOutputStream().close();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("psql did not finish in a minute");
    }
    return process.exitValue();
  }

  /** The server's own psql when it is where Debian puts it (no wrapper to start), else PATH's. */
  private static String psql(ServerRoles roles) throws SQLException {
    try (Connection c = ServerRoles.connect(roles.adminUrl);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SHOW server_version_num")) {
      r.next();
      int major = Integer.parseInt(r.getString(1)) / 10000;
      Path direct = Path.of("/usr/lib/postgresql/" + major + "/bin/psql");
      return Files.isExecutable(direct) ? direct.toString() : "psql";
    }
  }
}
