package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.SearchScope;
import dev.polydb.api.User;
import dev.polydb.testkit.FreshDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** copy then verify, on a SQLite file and the test PostgreSQL server with pgvector. */
class CopyAndVerifyTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  /** The default dimension, 1536, is stored as vector; 2048 as halfvec. */
  @ParameterizedTest(name = "dimension {0}")
  @ValueSource(ints = {1536, 2048})
  void aCopyIsEqualToItsSourceByteForByteAndTheLibraryReadsIt(int dimension) throws Exception {
    Path file = dir.resolve("app.db");
    String source = SampleDatabase.write(file, dimension, 12);
    String target = databases.newUrl();
    byte[] before = sha256(file);

    Cli.Run copy = Cli.run("copy", "--from", source, "--to", target, "--json");

    assertThat(copy.exit()).as(copy.all()).isZero();
    assertThat(copy.out()).contains("\"rowsWritten\"").contains("\"journal_entries\"");
    Cli.Run verify = Cli.run("verify", "--from", source, "--to", target, "--json");
    assertThat(verify.exit()).as(verify.all()).isZero();
    assertThat(verify.out()).contains("\"equal\" : true").contains("\"differences\" : [ ]");
    assertThat(sha256(file)).as("copy never writes the source").isEqualTo(before);

    DbConfig.Builder settings =
        DbConfig.builder()
            .vectorDimension(dimension)
            .embeddingModel(SampleDatabase.MODEL)
            .mutationsEnabled(false);
    try (DbProvider from = DbProviders.open(settings.url(source).build());
        DbProvider to = DbProviders.open(settings.url(target).build())) {
      User rich = from.users().findByProvider("github", SampleDatabase.EMOJI_RTL).orElseThrow();
      assertThat(to.users().findById(rich.id())).contains(rich);
      List<JournalEntry> entries = from.journal().list(rich.id(), 10, 0);
      assertThat(to.journal().list(rich.id(), 10, 0)).isEqualTo(entries);
      assertThat(to.subscriptions().listEvents("stripe", "sub-rich"))
          .isEqualTo(from.subscriptions().listEvents("stripe", "sub-rich"));
      assertThat(to.subscriptions().listEvents("stripe", "sub-rich").get(0).payloadJson())
          .isEqualTo(SampleDatabase.UNICODE_JSON);
      assertThat(to.subscriptions().findActive(rich.id()))
          .isEqualTo(from.subscriptions().findActive(rich.id()));
      User future = from.users().findByProvider("apple", "future").orElseThrow();
      assertThat(to.users().findById(future.id())).contains(future);
      assertThat(to.journal().totalBytes(future.id())).isEqualTo(1 << 20);
      assertThat(to.jtis().isRevoked("jti-leaver")).isTrue();
      float[] query = SampleDatabase.vector(new Random(1), dimension);
      for (String subject : List.of("user-0", "user-5", SampleDatabase.EMOJI_RTL)) {
        String provider = subject.startsWith("user-") ? "google" : "github";
        String id = from.users().findByProvider(provider, subject).orElseThrow().id();
        List<ChunkMatch> expected = from.vectors().search(query, 5, SearchScope.user(id));
        List<ChunkMatch> found = to.vectors().search(query, 5, SearchScope.user(id));
        assertThat(found).isNotEmpty();
        assertThat(found.stream().map(ChunkMatch::chunk).toList())
            .usingRecursiveFieldByFieldElementComparator()
            .isEqualTo(expected.stream().map(ChunkMatch::chunk).toList());
      }
    }
  }

  @Test
  void verifyNamesEveryPlantedDifferenceAndPassesAnUntouchedCopy() throws Exception {
    Path file = dir.resolve("app.db");
    String source = SampleDatabase.write(file, 8, 6);
    String target = databases.newUrl();
    assertThat(Cli.run("copy", "--from", source, "--to", target).exit()).isZero();
    assertThat(Cli.run("verify", "--from", source, "--to", target).exit()).isZero();

    // on the Postgres copy: one changed byte, a deleted row, an extra row, one changed component
    String entry;
    String chunk;
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement()) {
      entry = one(s, "SELECT id FROM journal_entries WHERE content LIKE 'entry 0 of 1 %'");
      s.executeUpdate(
          "UPDATE journal_entries SET content = 'E' || substr(content, 2) WHERE id = '"
              + entry
              + "'");
      s.executeUpdate("DELETE FROM revoked_jtis WHERE jti = 'jti-1'");
      s.executeUpdate(
          "INSERT INTO users (id, provider, provider_subject, created_at, updated_at)"
              + " VALUES ('planted-user', 'google', 'planted', now(), now())");
      chunk = one(s, "SELECT id FROM chunks WHERE document_id = 'doc-2' AND chunk_index = 1");
      String embedding = one(s, "SELECT embedding::text FROM chunks WHERE id = '" + chunk + "'");
      String[] parts = embedding.substring(1, embedding.length() - 1).split(",");
      parts[3] = Float.toString(Math.nextUp(Float.parseFloat(parts[3])));
      s.executeUpdate(
          "UPDATE chunks SET embedding = '["
              + String.join(",", parts)
              + "]' WHERE id = '"
              + chunk
              + "'");
    }
    // on a copy of the source: an orphan event and a second active subscription
    Path planted = dir.resolve("planted.db");
    Files.copy(file, planted);
    String user;
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + planted);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA foreign_keys = OFF");
      s.executeUpdate(
          "INSERT INTO subscription_events (id, user_id, provider, external_id, type,"
              + " provider_event_id, occurred_at, payload, recorded_at)"
              + " VALUES ('planted-event', 'no-such-user', 'stripe', 'x', 'created', 'p', 0,"
              + " '{}', 0)");
      user = one(s, "SELECT user_id FROM subscriptions WHERE status = 'active' LIMIT 1");
      s.execute("DROP INDEX subscriptions_one_active_per_user_key");
      s.executeUpdate(
          "INSERT INTO subscriptions (id, user_id, provider, external_id, plan, status,"
              + " cancel_at_period_end, last_event_at, created_at, updated_at)"
              + " VALUES ('planted-sub', '"
              + user
              + "', 'stripe', 'planted', 'pro', 'active', 0, 0, 0, 0)");
    }

    Cli.Run verify = Cli.run("verify", "--from", "sqlite:" + planted, "--to", target);

    assertThat(verify.exit()).as(verify.all()).isEqualTo(1);
    assertThat(verify.out())
        .contains("journal_entries " + entry + ": fields differ: content")
        .contains("revoked_jtis jti-1: missing in --to")
        .contains("users planted-user: missing in --from")
        .contains("chunks " + chunk + ": fields differ: embedding")
        .contains("subscription_events planted-event: --from: orphan user_id")
        .contains("subscriptions " + user + ": --from: more than one active subscription")
        .contains("NOT EQUAL")
        .doesNotContain("entry 0 of 1");
  }

  @Test
  void aCopyKilledAtAnyMomentResumesWithNoRowMissingOrDoubled() throws Exception {
    String source = SampleDatabase.write(dir.resolve("app.db"), 8, 150);
    String target = databases.newUrl();
    int kills = 0;
    for (long threshold : new long[] {1, 300, 900, 1500}) {
      List<String> args =
          new ArrayList<>(List.of("copy", "--from", source, "--to", target, "--batch-rows", "3"));
      if (threshold > 1) {
        args.add("--resume");
      }
      Process child =
          Cli.start("256m", dir.resolve("copy-" + threshold + ".log"), args.toArray(String[]::new));
      waitForProgress(target, threshold, child);
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      if (progressTableExists(target)) {
        kills++;
      }
    }
    assertThat(kills)
        .as("the copy was interrupted mid-way at least twice")
        .isGreaterThanOrEqualTo(2);
    Cli.Run refused = Cli.run("copy", "--from", source, "--to", target);
    assertThat(refused.exit()).isEqualTo(3);
    assertThat(refused.err()).contains("interrupted copy").contains("--resume");

    Cli.Run resumed = Cli.run("copy", "--from", source, "--to", target, "--resume", "--json");

    assertThat(resumed.exit()).as(resumed.all()).isZero();
    assertThat(resumed.out()).contains("\"rowsCopiedBefore\"");
    Cli.Run verify = Cli.run("verify", "--from", source, "--to", target, "--sample", "50");
    assertThat(verify.exit()).as(verify.all()).isZero();
    assertThat(progressTableExists(target)).isFalse();
    String fresh = databases.newUrl();
    assertThat(Cli.run("migrate", "--url", fresh).exit()).isZero();
    assertSameDefinitions(target, fresh);
    // a script that retries the whole step after the copy had finished: nothing to do, exit 0
    Cli.Run finished = Cli.run("copy", "--from", source, "--to", target, "--resume", "--json");
    assertThat(finished.exit()).as(finished.all()).isZero();
    assertThat(finished.out()).contains("\n  \"rowsWritten\" : 0,\n  \"seconds\"");
    assertThat(Cli.run("copy", "--from", source, "--to", target).exit()).isEqualTo(3);
  }

  @Test
  void anInterruptedCopyStartsOverWithTruncateTargetAndGetsBackEveryKeyAndIndex() throws Exception {
    String source = SampleDatabase.write(dir.resolve("app.db"), 8, 100);
    String target = databases.newUrl();
    Process child =
        Cli.start(
            "256m",
            dir.resolve("copy.log"),
            "copy",
            "--from",
            source,
            "--to",
            target,
            "--batch-rows",
            "3");
    waitForProgress(target, 30, child);
    child.destroyForcibly();
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(progressTableExists(target)).as("the copy was interrupted").isTrue();
    assertThat(definitions(target))
        .as("dropped for the load")
        .noneMatch(d -> d.startsWith("chunks chunks_embedding_idx"))
        .noneMatch(d -> d.startsWith("refresh_tokens refresh_tokens_pkey"))
        .noneMatch(d -> d.startsWith("journal_entries journal_entries_user_id_fkey"));

    Cli.Run again = Cli.run("copy", "--from", source, "--to", target, "--truncate-target");

    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(Cli.run("verify", "--from", source, "--to", target).exit()).isZero();
    String fresh = databases.newUrl();
    assertThat(Cli.run("migrate", "--url", fresh).exit()).isZero();
    assertSameDefinitions(target, fresh);
  }

  @Test
  void aSourceThatBreaksAForeignKeyFailsNamingItAndTheHalfBuiltTargetIsNotPassedAsACopy()
      throws Exception {
    Path file = dir.resolve("orphan.db");
    String source = SampleDatabase.write(file, 4, 2);
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute("PRAGMA foreign_keys = OFF");
      s.executeUpdate(
          "INSERT INTO journal_entries (id, user_id, content, content_bytes, created_at, updated_at)"
              + " VALUES ('orphan-entry', 'no-such-user', 'secret words', 12, 0, 0)");
    }
    String target = databases.newUrl();

    Cli.Run run = Cli.run("copy", "--from", source, "--to", target);

    assertThat(run.exit()).as(run.all()).isEqualTo(1);
    assertThat(run.err())
        .contains("journal_entries_user_id_fkey")
        .contains("--truncate-target")
        .doesNotContain("no-such-user")
        .doesNotContain("secret words");
    assertThat(definitions(target))
        .noneMatch(d -> d.startsWith("journal_entries journal_entries_user_id_fkey"));
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement()) {
      assertThat(
              one(
                  s,
                  "SELECT count(*) FROM polydb_copy_dropped WHERE name = 'journal_entries_user_id_fkey'"))
          .as("still listed, to be re-created")
          .isEqualTo("1");
    }
    // every row is there, but not the keys: neither verify nor doctor may pass it
    Cli.Run verify = Cli.run("verify", "--from", source, "--to", target);
    assertThat(verify.exit()).as(verify.all()).isEqualTo(1);
    assertThat(verify.out()).contains("polydb_copy: --to: a polydb copy into it has not finished");
    Cli.Run doctor = Cli.run("doctor", "--url", target);
    assertThat(doctor.exit()).as(doctor.all()).isEqualTo(1);
    assertThat(doctor.out()).contains("has not finished").contains("polydb copy --resume");

    // the way out the error gives: fix the source, copy again over the half-built target
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM journal_entries WHERE id = 'orphan-entry'");
    }
    Cli.Run again = Cli.run("copy", "--from", source, "--to", target, "--truncate-target");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(Cli.run("verify", "--from", source, "--to", target).exit()).isZero();
    String fresh = databases.newUrl();
    assertThat(Cli.run("migrate", "--url", fresh).exit()).isZero();
    assertSameDefinitions(target, fresh);
  }

  /**
   * Every key, foreign key and index of a copy is the one {@code migrate} makes: the copy dropped
   * them for the load and re-created each.
   */
  private void assertSameDefinitions(String copy, String fresh) throws SQLException {
    assertThat(definitions(copy))
        .anyMatch(d -> d.startsWith("chunks chunks_embedding_idx CREATE INDEX"))
        .anyMatch(d -> d.startsWith("refresh_tokens refresh_tokens_parent_id_fkey FOREIGN KEY"))
        .anyMatch(d -> d.startsWith("users users_pkey PRIMARY KEY"))
        .isEqualTo(definitions(fresh));
  }

  /** Each constraint and index of the library's tables: table, name, definition. */
  private List<String> definitions(String url) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection c = databases.dataSource(url).getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT tablename || ' ' || indexname || ' '"
                    + " || replace(indexdef, schemaname || '.', '') FROM pg_indexes"
                    + " WHERE schemaname = current_schema() AND tablename NOT LIKE 'polydb_copy%'"
                    + " UNION ALL SELECT t.relname || ' ' || c.conname || ' '"
                    + " || pg_get_constraintdef(c.oid) FROM pg_constraint c"
                    + " JOIN pg_class t ON t.oid = c.conrelid"
                    + " WHERE t.relnamespace = current_schema()::regnamespace"
                    + " AND t.relname NOT LIKE 'polydb_copy%' ORDER BY 1")) {
      while (rs.next()) {
        found.add(rs.getString(1));
      }
    }
    return found;
  }

  @Test
  void aFileLargerThanTheCopyingJvmsHeapIsCopiedInConstantMemory() throws Exception {
    Path file = dir.resolve("large.db");
    String source = "sqlite:" + file;
    try (DbProvider db =
        DbProviders.open(DbConfig.builder().url(source).vectorDimension(8).build())) {
      User user = db.users().create("google", "large", dev.polydb.api.UserProfile.EMPTY);
      Random random = new Random(3);
      char[] text = new char[1 << 20];
      for (int i = 0; i < 96; i++) {
        for (int j = 0; j < text.length; j++) {
          text[j] = (char) ('a' + random.nextInt(26));
        }
        db.journal().insert(user.id(), new String(text));
      }
    }
    assertThat(Files.size(file)).isGreaterThan(96L << 20);
    String target = databases.newUrl();

    Process child =
        Cli.start("64m", dir.resolve("large.log"), "copy", "--from", source, "--to", target);

    assertThat(child.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as(Files.readString(dir.resolve("large.log"))).isZero();
    Cli.Run verify = Cli.run("verify", "--from", source, "--to", target);
    assertThat(verify.exit()).as(verify.all()).isZero();
  }

  private void waitForProgress(String target, long rows, Process child) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && child.isAlive()) {
      if (progressTableExists(target)) {
        try (Connection c = databases.dataSource(target).getConnection();
            Statement s = c.createStatement();
            ResultSet rs =
                s.executeQuery("SELECT coalesce(sum(rows_copied), 0) FROM polydb_copy_progress")) {
          if (rs.next() && rs.getLong(1) >= rows) {
            return;
          }
        } catch (SQLException e) {
          // the table went away between the two queries: the copy finished
        }
      }
      Thread.sleep(5);
    }
  }

  private boolean progressTableExists(String target) throws SQLException {
    try (Connection c = databases.dataSource(target).getConnection();
        PreparedStatement s = c.prepareStatement("SELECT to_regclass('polydb_copy_progress')")) {
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getString(1) != null;
      }
    }
  }

  private static String one(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      assertThat(rs.next()).as(sql).isTrue();
      return rs.getString(1);
    }
  }

  private static byte[] sha256(Path file) throws IOException, NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
  }
}
