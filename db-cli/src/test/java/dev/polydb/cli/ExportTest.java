package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.SearchScope;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** export, validate-export, and the import of an export by the import role with psql. */
class ExportTest {
  static final int DIMENSION = 8;

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();
  @RegisterExtension final Productions productions = new Productions(databases);

  @TempDir Path dir;

  private ServerRoles roles;

  @Test
  void aUsersExportIsValidImportsIdempotentlyAndReadsBackAsWritten() throws Exception {
    String source = SampleDatabase.write(dir.resolve("app.db"), DIMENSION, 3);
    DbConfig.Builder settings =
        DbConfig.builder().vectorDimension(DIMENSION).embeddingModel(SampleDatabase.MODEL);
    User rich;
    try (DbProvider db = DbProviders.open(settings.url(source).build())) {
      rich = db.users().findByProvider("github", SampleDatabase.EMOJI_RTL).orElseThrow();
    }
    Path file = dir.resolve("rich.sql");

    Cli.Run export =
        Cli.run("export", "--url", source, "--user", rich.id(), "--out", file.toString(), "--json");

    assertThat(export.exit()).as(export.all()).isZero();
    assertThat(export.out()).contains("\"users\" : 1", "\"journal_entries\" : 1", "\"chunks\" : 1");
    String sql = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(sql)
        .startsWith("-- polydb export")
        .contains("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nBEGIN;\n")
        .endsWith("COMMIT;\n")
        .doesNotContain("refresh_tokens", "revoked_jtis", "jti-");
    Cli.Run valid = Cli.run("validate-export", file.toString());
    assertThat(valid.exit()).as(valid.all()).isZero();
    assertThat(valid.out()).contains("valid");

    // the same user exported from a PostgreSQL copy of the file gives the same bytes
    String copy = databases.newUrl();
    assertThat(Cli.run("copy", "--from", source, "--to", copy).exit()).isZero();
    Path fromPostgres = dir.resolve("rich-pg.sql");
    Cli.Run again =
        Cli.run("export", "--url", copy, "--user", rich.id(), "--out", fromPostgres.toString());
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(Files.readString(fromPostgres, StandardCharsets.UTF_8)).isEqualTo(sql);

    roles = productions.migrated(DIMENSION, SampleDatabase.MODEL);
    String target = roles.urlAs("import");
    psql(file, target);
    Map<String, Long> once = counts();
    psql(file, target);
    assertThat(counts()).isEqualTo(once).containsEntry("users", 1L).containsEntry("chunks", 1L);

    try (DbProvider from = DbProviders.open(settings.url(source).mutationsEnabled(false).build());
        DbProvider to =
            DbProviders.open(
                settings.url(roles.urlAs("readonly")).mutationsEnabled(false).build())) {
      assertThat(to.users().findById(rich.id())).contains(rich);
      assertThat(to.journal().list(rich.id(), 10, 0))
          .isEqualTo(from.journal().list(rich.id(), 10, 0));
      assertThat(to.subscriptions().findActive(rich.id()))
          .isEqualTo(from.subscriptions().findActive(rich.id()));
      assertThat(to.subscriptions().listEvents("stripe", "sub-rich"))
          .isEqualTo(from.subscriptions().listEvents("stripe", "sub-rich"));
      float[] query = SampleDatabase.vector(new Random(3), DIMENSION);
      List<ChunkMatch> expected = from.vectors().search(query, 3, SearchScope.user(rich.id()));
      List<ChunkMatch> actual = to.vectors().search(query, 3, SearchScope.user(rich.id()));
      assertThat(actual)
          .map(ChunkMatch::chunk)
          .isEqualTo(expected.stream().map(ChunkMatch::chunk).toList());
      // PostgreSQL computes the distance in single precision, SQLite in double
      assertThat(actual.get(0).distance()).isCloseTo(expected.get(0).distance(), offset(1e-6));
    }
  }

  @Test
  void aDocumentsExportHoldsTheirChunksAndOwnersOnly() throws Exception {
    String source = SampleDatabase.write(dir.resolve("app.db"), DIMENSION, 4);
    Path file = dir.resolve("docs.sql");

    Cli.Run export =
        Cli.run(
            "export", "--url", source, "--documents", "doc-1", "doc-3", "--out", file.toString());

    assertThat(export.exit()).as(export.all()).isZero();
    assertThat(export.out()).containsPattern("users\\s+2").containsPattern("chunks\\s+4");
    assertThat(Files.readString(file))
        .doesNotContain("journal_entries", "subscriptions", "doc-0", "doc-2");
    assertThat(Cli.run("validate-export", file.toString()).exit()).isZero();
    roles = productions.migrated(DIMENSION, SampleDatabase.MODEL);
    psql(file, roles.urlAs("import"));
    assertThat(counts()).containsEntry("users", 2L).containsEntry("chunks", 4L);
  }

  @Test
  void nothingToExportIsAnErrorAndLeavesNoFile() {
    String source = SampleDatabase.write(dir.resolve("app.db"), 4, 1);
    Path file = dir.resolve("none.sql");

    Cli.Run user = Cli.run("export", "--url", source, "--user", "nobody", "--out", file.toString());
    Cli.Run docs =
        Cli.run("export", "--url", source, "--documents", "nothing", "--out", file.toString());
    Cli.Run both =
        Cli.run(
            "export", "--url", source, "--user", "x", "--documents", "y", "--out", file.toString());

    assertThat(user.exit()).isEqualTo(1);
    assertThat(user.err()).contains("no such user; nothing exported");
    assertThat(docs.exit()).isEqualTo(1);
    assertThat(docs.err()).contains("no chunk of these documents");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(file).doesNotExist();
    assertThat(dir.resolve("none.sql.partial")).doesNotExist();
  }

  /** A user with 160 MiB of journal exported by a JVM with a 48 MiB heap. */
  @Test
  void aLargeExportIsStreamed() throws Exception {
    Path db = dir.resolve("large.db");
    String source = "sqlite:" + db;
    String userId;
    try (DbProvider p =
        DbProviders.open(
            DbConfig.builder()
                .url(source)
                .vectorDimension(4)
                .journalQuotaBytes(1L << 30)
                .build())) {
      userId = p.users().create("google", "large", UserProfile.EMPTY).id();
      String entry = "x".repeat(1 << 20);
      for (int i = 0; i < 160; i++) {
        p.journal().insert(userId, entry);
      }
    }
    Path file = dir.resolve("large.sql");
    Path log = dir.resolve("large.log");

    Process export =
        Cli.start(
            "48m", log, "export", "--url", source, "--user", userId, "--out", file.toString());

    assertThat(export.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(export.exitValue()).as(Files.readString(log)).isZero();
    assertThat(Files.size(file)).isGreaterThan(160L << 20);
    Cli.Run valid = Cli.run("validate-export", file.toString());
    assertThat(valid.exit()).as(valid.all()).isZero();
  }

  /** Row counts of the exported tables in the production database. */
  private Map<String, Long> counts() throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    try (Connection c = ServerRoles.connect(roles.adminUrl);
        Statement s = c.createStatement()) {
      for (String table :
          List.of("users", "subscriptions", "subscription_events", "journal_entries", "chunks")) {
        try (ResultSet r = s.executeQuery("SELECT count(*) FROM " + table)) {
          r.next();
          counts.put(table, r.getLong(1));
        }
      }
    }
    return counts;
  }

  /** Imports a file as the runbook says; fails the test when psql fails. */
  static void psql(Path file, String url) throws IOException, InterruptedException {
    Process psql = psqlProcess(file, url);
    String output = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(psql.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(psql.exitValue()).as(output).isZero();
  }

  static Process psqlProcess(Path file, String url) throws IOException {
    List<String> command = new ArrayList<>(List.of("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"));
    command.addAll(List.of("--single-transaction", "-f", file.toString(), url));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("PGOPTIONS", "-c client_min_messages=error");
    return builder.start();
  }
}
