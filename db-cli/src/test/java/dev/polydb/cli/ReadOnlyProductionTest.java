package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.polydb.api.Chunk;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.SearchScope;
import dev.polydb.api.SubscriptionChange;
import dev.polydb.api.SubscriptionStatus;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.migrations.Migrations;
import dev.polydb.testkit.FreshDatabases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §11: a read-only production restored from a dump. A database written through the library is
 * dumped with {@code pg_dump -Fc}, restored as the owner role into a fresh database, and opened by
 * the read-only role with mutations disabled: every read returns what was written, every write is
 * refused by the library without a statement reaching the server, and by the server when the
 * library is bypassed. Restoring the older of two dumps is the rollback.
 */
class ReadOnlyProductionTest {
  private static final int DIMENSION = 4;
  private static final String MODEL = "prod-model";
  private static final Instant FAR_FUTURE = Instant.parse("2100-01-01T00:00:00Z");

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();
  @RegisterExtension final Productions productions = new Productions(databases);

  @TempDir Path dir;

  private ServerRoles roles;

  @Test
  void aRestoredDumpReadsEverythingWritesNothingAndAnOlderDumpRollsItBack() throws Exception {
    String source = databases.newServerDatabaseUrl();
    Path older = dir.resolve("older.dump");
    Path newer = dir.resolve("newer.dump");
    Sample one;
    Sample two;
    List<Object> olderReads;
    List<Object> newerReads;
    try (DbProvider db = DbProviders.open(settings(source).build())) {
      one = Sample.write(db, "one");
      olderReads = reads(db, one);
      run("pg_dump", "-Fc", "-f", older.toString(), source);
      two = Sample.write(db, "two");
      db.journal().delete(one.user().id(), one.entryId());
      db.jtis().revoke("jti-late", one.user().id(), FAR_FUTURE);
      newerReads = reads(db, one);
      newerReads.addAll(reads(db, two));
      run("pg_dump", "-Fc", "-f", newer.toString(), source);
    }
    assertThat(newerReads.subList(0, olderReads.size())).isNotEqualTo(olderReads);

    roles = productions.withRoles();

    restore(newer);
    List<Object> expected = new ArrayList<>(newerReads);
    checkReadOnlyProduction(List.of(one, two), expected);

    // rollback: the older dump, restored the same way over the newer one
    restore(older);
    checkReadOnlyProduction(List.of(one), olderReads);
    try (DbProvider ro = DbProviders.open(readOnly().build())) {
      assertThat(ro.users().findById(two.user().id())).isEmpty();
      assertThat(ro.jtis().isRevoked("jti-late")).isFalse();
    }

    // a corrupt dump is refused by pg_restore -l before anything is touched
    byte[] bytes = Files.readAllBytes(newer);
    Path corrupt = dir.resolve("corrupt.dump");
    Files.write(corrupt, java.util.Arrays.copyOf(bytes, bytes.length / 3));
    Process list =
        new ProcessBuilder("pg_restore", "-l", corrupt.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("corrupt.log").toFile())
            .start();
    assertThat(list.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(list.exitValue()).isNotZero();
    Path garbage = dir.resolve("garbage.dump");
    Files.writeString(garbage, "PGDMP but not really\n", StandardCharsets.UTF_8);
    Process listGarbage =
        new ProcessBuilder("pg_restore", "-l", garbage.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("garbage.log").toFile())
            .start();
    assertThat(listGarbage.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(listGarbage.exitValue()).isNotZero();
    try (DbProvider ro = DbProviders.open(readOnly().build())) {
      assertThat(reads(ro, one)).isEqualTo(olderReads);
    }
  }

  @Test
  void aReadOnlyProviderRefusesADatabaseWhoseSchemaIsBehindNamingTheCommand() throws Exception {
    String source = databases.newServerDatabaseUrl();
    DbConfig config = settings(source).build();
    Migrations.of(
            DbProviders.factoryFor(source).dataSource(config),
            Migrations.Dialect.POSTGRES,
            new Migrations.Settings(DIMENSION, "cosine", Optional.of(MODEL)))
        .migrateTo("2");
    Path dump = dir.resolve("v2.dump");
    run("pg_dump", "-Fc", "-f", dump.toString(), source);
    roles = productions.withRoles();
    restore(dump);

    DbConfigException refused =
        catchThrowableOfType(
            DbConfigException.class, () -> DbProviders.open(readOnly().build()).close());

    assertThat(refused).isNotNull();
    assertThat(refused.getMessage())
        .contains("schema is behind", "at version 2")
        .contains("polydb.jar migrate --url")
        .doesNotContain(roles.password("readonly"));
    Cli.Run migrate =
        Cli.run(
            Map.of("DB_VECTOR_DIMENSION", "" + DIMENSION, "DB_EMBEDDING_MODEL", MODEL),
            "migrate",
            "--url",
            roles.urlAs("owner"));
    assertThat(migrate.exit()).as(migrate.all()).isZero();
    try (DbProvider ro = DbProviders.open(readOnly().build())) {
      assertThat(ro.vectors().settings().dimension()).isEqualTo(DIMENSION);
    }
  }

  /**
   * The runbook's restore: list the dump (refusing a corrupt one), then restore it as the owner.
   */
  private void restore(Path dump) throws IOException, InterruptedException {
    String list = run("pg_restore", "-l", dump.toString());
    // the extension is the administrator's (roles create made it); the owner may not re-create it
    StringBuilder kept = new StringBuilder();
    for (String line : list.split("\n")) {
      if (!line.contains(" EXTENSION ")) {
        kept.append(line).append('\n');
      }
    }
    Path listFile = Files.writeString(dir.resolve("restore.list"), kept.toString());
    run(
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--clean",
        "--if-exists",
        "--exit-on-error",
        "--single-transaction",
        "-L",
        listFile.toString(),
        "-d",
        roles.urlAs("owner"),
        dump.toString());
  }

  private void checkReadOnlyProduction(List<Sample> samples, List<Object> expected)
      throws Exception {
    Cli.Run audit = Cli.run("roles", "check", "--url", roles.urlAs("readonly"), "--as", "readonly");
    assertThat(audit.exit()).as(audit.all()).isZero();

    try (DbProvider ro = DbProviders.open(readOnly().build())) {
      List<Object> actual = new ArrayList<>();
      for (Sample sample : samples) {
        actual.addAll(reads(ro, sample));
      }
      assertThat(actual).isEqualTo(expected);

      Map<Integer, String> before = quietSessions();
      Sample s = samples.get(0);
      String id = s.user().id();
      List<ThrowingCallable> writes =
          List.of(
              () -> ro.users().upsert("google", "new", UserProfile.EMPTY),
              () -> ro.users().create("google", "new", UserProfile.EMPTY),
              () -> ro.users().delete(id),
              () -> ro.refreshTokens().issue(id),
              () -> ro.refreshTokens().rotate(s.token().token(), id),
              () -> ro.refreshTokens().revoke(s.token().token()),
              () -> ro.refreshTokens().revokeAllForUser(id),
              () -> ro.refreshTokens().pruneExpired(FAR_FUTURE, 100),
              () -> ro.subscriptions().upsertActive(change(id, "late", "evt-late")),
              () -> ro.subscriptions().runExpirySweep(FAR_FUTURE),
              () -> ro.journal().insert(id, "new"),
              () -> ro.journal().insert(id, "entry-new", "new"),
              () -> ro.journal().update(id, s.entryId(), "changed"),
              () -> ro.journal().delete(id, s.entryId()),
              () -> ro.jtis().revoke("jti-new", id, FAR_FUTURE),
              () -> ro.jtis().pruneExpired(FAR_FUTURE),
              () -> ro.vectors().upsert(List.of(chunk(id, "late"))),
              () -> ro.vectors().deleteByDocument(id, "doc-" + s.name()),
              () -> ro.vectors().deleteByUser(id));
      for (ThrowingCallable write : writes) {
        assertThatThrownBy(write).isInstanceOf(DbReadOnlyException.class);
      }
      assertThat(sessions()).as("no statement reached the server").isEqualTo(before);
      // a transaction takes a connection before its work is known: the pool checks the
      // connection (an empty query), and the write inside is refused before any statement
      assertThatThrownBy(() -> ro.inTransaction(tx -> tx.journal().insert(id, "in a transaction")))
          .isInstanceOf(DbReadOnlyException.class);
      Map<Integer, String> after = sessions();
      after.forEach(
          (pid, last) -> {
            if (!last.equals(before.get(pid))) {
              assertThat(last).as("the last statement of session " + pid).endsWith(" ");
            }
          });
      // the check can fail: one read moves a session
      ro.users().findById(id);
      assertThat(sessions()).isNotEqualTo(before);
      assertThat(reads(ro, s)).isEqualTo(expected.subList(0, reads(ro, s).size()));
    }

    // bypassing the library, the server refuses, even with read-only switched off
    try (Connection c = ServerRoles.connect(roles.urlAs("readonly"));
        Statement st = c.createStatement()) {
      st.execute("SET default_transaction_read_only = off");
      for (String sql :
          List.of(
              "INSERT INTO revoked_jtis (jti, expires_at, revoked_at) VALUES ('x', now(), now())",
              "UPDATE users SET email = 'x'",
              "DELETE FROM journal_entries",
              "TRUNCATE revoked_jtis",
              "CREATE TABLE stray (id int)",
              "CREATE TEMP TABLE stray (id int)",
              "CREATE INDEX ON users (email)",
              "ALTER TABLE users ADD COLUMN stray int",
              "DROP TABLE chunks",
              "CREATE SCHEMA stray")) {
        SQLException refused = catchThrowableOfType(SQLException.class, () -> st.execute(sql));
        assertThat((Throwable) refused).as(sql).isNotNull();
        assertThat(refused.getSQLState()).as(sql).isEqualTo("42501");
      }
    }
  }

  /**
   * The read-only role's sessions on the server and when each last started a statement, from
   * pg_stat_activity (kept live by the server, not sampled), once they have settled.
   */
  private Map<Integer, String> quietSessions() throws SQLException, InterruptedException {
    Map<Integer, String> last = sessions();
    for (int i = 0; i < 50; i++) {
      Thread.sleep(200);
      Map<Integer, String> now = sessions();
      if (now.equals(last)) {
        return now;
      }
      last = now;
    }
    throw new AssertionError("the read-only role's sessions did not settle: " + last);
  }

  private Map<Integer, String> sessions() throws SQLException {
    Map<Integer, String> sessions = new TreeMap<>();
    try (Connection c = ServerRoles.connect(databases.server().url("postgres", null, null));
        PreparedStatement p =
            c.prepareStatement(
                "SELECT pid, coalesce(query_start::text, '-') || ' ' || coalesce(query, '')"
                    + " FROM pg_stat_activity WHERE usename = ? AND datname = ?")) {
      p.setString(1, roles.role("readonly"));
      p.setString(2, roles.database);
      try (ResultSet r = p.executeQuery()) {
        while (r.next()) {
          sessions.put(r.getInt(1), r.getString(2));
        }
      }
    }
    assertThat(sessions).as("the read-only role has sessions open").isNotEmpty();
    return sessions;
  }

  private DbConfig.Builder readOnly() {
    return settings(roles.urlAs("readonly")).mutationsEnabled(false);
  }

  private static DbConfig.Builder settings(String url) {
    return DbConfig.builder().url(url).vectorDimension(DIMENSION).embeddingModel(MODEL);
  }

  /** Every read of every area, for one sample. */
  private static List<Object> reads(DbProvider db, Sample s) {
    String id = s.user().id();
    List<Object> reads = new ArrayList<>();
    reads.add(db.users().findById(id));
    reads.add(db.users().findByProvider("google", "sub-" + s.name()));
    reads.add(db.refreshTokens().findValid(s.token().token()));
    reads.add(db.subscriptions().findActive(id));
    reads.add(db.subscriptions().findLatest(id));
    reads.add(db.subscriptions().findByExternalId("stripe", "sub-" + s.name()));
    reads.add(db.subscriptions().listEvents("stripe", "sub-" + s.name()));
    reads.add(db.journal().findById(id, s.entryId()));
    reads.add(db.journal().list(id, 10, 0));
    reads.add(db.journal().listBefore(id, null, 10));
    reads.add(db.journal().totalBytes(id));
    reads.add(db.jtis().isRevoked("jti-" + s.name()));
    reads.add(db.jtis().isRevoked("jti-late"));
    reads.add(
        db.vectors().search(new float[] {1f, 0.5f, 0f, 0f}, 5, SearchScope.user(id)).stream()
            .map(m -> m.chunk().id() + " " + m.chunk().text() + " " + m.chunk().metadata())
            .toList());
    reads.add(db.vectors().settings());
    return reads;
  }

  private static SubscriptionChange change(String userId, String name, String eventId) {
    return SubscriptionChange.builder()
        .userId(userId)
        .provider("stripe")
        .externalId("sub-" + name)
        .plan("pro")
        .status(SubscriptionStatus.ACTIVE)
        .currentPeriodEnd(FAR_FUTURE)
        .eventType("created")
        .providerEventId(eventId)
        .occurredAt(Instant.parse("2026-01-01T00:00:00Z"))
        .payloadJson("{\"id\": \"" + eventId + "\", \"amount\": 12.50}")
        .build();
  }

  private static Chunk chunk(String userId, String name) {
    return Chunk.of(
        "chunk-" + name,
        userId,
        "doc-" + name,
        0,
        "text of " + name + " \u00e9",
        Map.of("lang", "en"),
        new float[] {1f, 0.25f, 0f, -0.5f},
        MODEL);
  }

  /** What one sample wrote: a user with data in every area. */
  private record Sample(String name, User user, IssuedToken token, String entryId) {
    static Sample write(DbProvider db, String name) {
      User user =
          db.users().create("google", "sub-" + name, UserProfile.of(name + "@x.test", name, null));
      IssuedToken token = db.refreshTokens().issue(user.id(), Duration.ofDays(365), "fp");
      db.subscriptions().upsertActive(change(user.id(), name, "evt-" + name));
      String entryId = db.journal().insert(user.id(), "entry of " + name + " \u270d").id();
      db.journal().insert(user.id(), "second entry of " + name);
      db.jtis().revoke("jti-" + name, user.id(), FAR_FUTURE);
      db.vectors().upsert(List.of(chunk(user.id(), name)));
      return new Sample(name, user, token, entryId);
    }
  }

  /** Runs a PostgreSQL client program; fails the test with its output when it fails. */
  private String run(String... command) throws IOException, InterruptedException {
    Path log = Files.createTempFile(dir, "tool", ".log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(command[0]).isTrue();
    String output = Files.readString(log);
    assertThat(process.exitValue()).as(command[0] + ": " + output).isZero();
    return output;
  }
}
