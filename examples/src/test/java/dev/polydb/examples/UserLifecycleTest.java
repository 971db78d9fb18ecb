package dev.polydb.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.testkit.PostgresTestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the example's scenario on a SQLite file and checks what it printed, then on PostgreSQL and
 * checks that it printed the same. The scenario prints no ids or times, so the lines compare as
 * they are.
 */
class UserLifecycleTest {
  private static final List<String> EXPECTED =
      List.of(
          "sign-in: created user, email ada@example.com",
          "sign-in again: same user true, display name Ada L., email kept ada@example.com",
          "refresh token issued: 43 characters, stored hashed",
          "rotation: Rotated, new token valid true, old token valid false",
          "same old token again at once (a second tab, a retry): Rotated, same new token true",
          "old token replayed after the next rotation: ReuseDetected, family revoked,"
              + " newest token valid false",
          "webhook: APPLIED, subscription active on plan pro-monthly",
          "same webhook delivered again: DUPLICATE, events logged 1",
          "active subscription: true",
          "journal: 2 entries, newest \"Second entry 😀\", 39 bytes in all",
          "journal after edit: 42 bytes in all",
          // by meaning: the drinks before the bicycle, and a paraphrase finds its source
          "search \"coffee\": [Brewing coffee with a French press (distance 0.45),"
              + " Steeping green tea at the right heat (distance 0.72)]",
          "search \"mending a punctured bike wheel\": [Fixing a flat tyre on a bicycle"
              + " (distance 0.53)]",
          "search \"coffee\" in the notes only: [Fixing a flat tyre on a bicycle (distance 1.06)]",
          "access token revoked: true",
          "account deleted: true, user found false, journal bytes 0, search hits 0,"
              + " subscription events kept 1");

  @TempDir Path dir;

  @Test
  void walksOneUsersLifeOnSqlite() {
    assertThat(run("sqlite:" + dir.resolve("example.db"))).containsExactlyElementsOf(EXPECTED);
  }

  @Test
  void printsTheSameOnPostgres() {
    PostgresTestServer server = PostgresTestServer.get();
    String url = server.newDatabaseUrl();
    try {
      List<String> postgres = run(url);
      assertThat(postgres).containsExactlyElementsOf(run("sqlite:" + dir.resolve("same.db")));
      assertThat(postgres).containsExactlyElementsOf(EXPECTED);
    } finally {
      server.dropDatabase(url);
    }
  }

  private static List<String> run(String url) {
    List<String> lines = new ArrayList<>();
    DbConfig config = DbConfig.builder().url(url).build();
    try (DbProvider db = DbProviders.open(config)) {
      new UserLifecycle(db, lines::add).run();
    }
    return lines;
  }
}
