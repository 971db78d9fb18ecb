package dev.polydb.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbOutcomeUnknownException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbTransientException;
import dev.polydb.api.IssuedToken;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.RotationResult;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FaultProxy;
import dev.polydb.testkit.FreshDatabases;
import dev.polydb.testkit.PostgresTestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The connection to a real server cut at the worst moments, through {@link FaultProxy}: while a
 * transaction commits (the outcome is unknown, and the writes a caller retries are idempotent),
 * during a statement (safe to retry), and while a provider opens (transient, not a config error).
 */
class PostgresFaultsTest {
  private static DatabaseUrl serverUrl;

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @BeforeAll
  static void findServer() {
    PostgresTestServer server = PostgresTestServer.get();
    String any = server.newDatabaseUrl();
    serverUrl = DatabaseUrl.parse(any);
    server.dropDatabase(any);
  }

  @Test
  void aJournalInsertWhoseReplyIsLostIsOutcomeUnknownAndItsRetryWritesItOnce() throws Exception {
    String url = databases.newUrl();
    try (FaultProxy proxy = proxy();
        DbProvider db = DbProviders.open(config(through(proxy, url)).build());
        DbProvider direct = DbProviders.open(config(url).build())) {
      String user = db.users().create("google", "ada", UserProfile.EMPTY).id();

      // one statement with autocommit: its reply is the commit's
      proxy.cutReplyHolding("INSERT 0 1\0");
      assertThatThrownBy(() -> db.journal().insert(user, "entry-1", "written once"))
          .isInstanceOf(DbOutcomeUnknownException.class)
          .isNotInstanceOf(DbTransientException.class)
          .hasMessageContaining("journal insert")
          .hasMessageContaining("may or may not have been applied");
      assertThat(proxy.cuts()).isEqualTo(1);
      // the server had committed: the entry is there, seen on a connection of its own
      await(() -> direct.journal().findById(user, "entry-1").isPresent());

      JournalEntry retried = db.journal().insert(user, "entry-1", "written once");

      assertThat(direct.journal().list(user, 10, 0)).containsExactly(retried);
      assertThat(direct.journal().totalBytes(user)).isEqualTo(12);
    }
  }

  @Test
  void aRotationWhoseCommitReplyIsLostIsRetriedInsideTheGraceWindowAndGetsTheSameToken()
      throws Exception {
    String url = databases.newUrl();
    try (FaultProxy proxy = proxy();
        DbProvider db = DbProviders.open(config(through(proxy, url)).build());
        DbProvider direct = DbProviders.open(config(url).build())) {
      String user = db.users().create("google", "ada", UserProfile.EMPTY).id();
      IssuedToken token = db.refreshTokens().issue(user);

      proxy.cutReplyHolding("COMMIT\0");
      assertThatThrownBy(() -> db.refreshTokens().rotate(token.token(), user))
          .isInstanceOf(DbOutcomeUnknownException.class);
      await(() -> direct.refreshTokens().findValid(token.token()).isEmpty());

      // the client never saw the new token; retrying with the old one must not sign it out
      RotationResult retried = db.refreshTokens().rotate(token.token(), user);

      assertThat(retried).isInstanceOf(RotationResult.Rotated.class);
      IssuedToken next = retried.issued().orElseThrow();
      assertThat(next.record().parentId()).contains(token.record().id());
      assertThat(direct.refreshTokens().findValid(next.token())).isPresent();
      assertThat(db.refreshTokens().rotate(next.token(), user))
          .as("the recovered token is the family's live one")
          .isInstanceOf(RotationResult.Rotated.class);
    }
  }

  @Test
  void aConnectionLostBeforeCommitIsTransientAndWritesNothing() throws Exception {
    String url = databases.newUrl();
    try (FaultProxy proxy = proxy();
        DbProvider db = DbProviders.open(config(through(proxy, url)).build())) {
      String user = db.users().create("google", "ada", UserProfile.EMPTY).id();
      IssuedToken token = db.refreshTokens().issue(user);

      // a rotation is a transaction of three statements: cut after the first one is sent
      proxy.cutAfter("update \"refresh_tokens\"");
      assertThatThrownBy(() -> db.refreshTokens().rotate(token.token(), user))
          .isInstanceOf(DbTransientException.class)
          .isNotInstanceOf(DbOutcomeUnknownException.class);

      assertThat(proxy.cuts()).isEqualTo(1);
      assertThat(db.refreshTokens().findValid(token.token())).as("not rotated").isPresent();
      assertThat(db.refreshTokens().rotate(token.token(), user))
          .isInstanceOf(RotationResult.Rotated.class);
    }
  }

  @Test
  void aConnectionLostAfterAJournalInsertWasSentIsOutcomeUnknown() throws Exception {
    String url = databases.newUrl();
    try (FaultProxy proxy = proxy();
        DbProvider db = DbProviders.open(config(through(proxy, url)).build())) {
      String user = db.users().create("google", "ada", UserProfile.EMPTY).id();

      // one statement with autocommit: once sent, it may have committed
      proxy.cutAfter("\"journal_entries\"");
      assertThatThrownBy(() -> db.journal().insert(user, "entry-1", "text"))
          .isInstanceOf(DbOutcomeUnknownException.class)
          .hasMessageContaining("may or may not have been applied");

      assertThat(proxy.cuts()).isEqualTo(1);
      assertThat(db.journal().insert(user, "entry-1", "text").id()).isEqualTo("entry-1");
      assertThat(db.journal().list(user, 10, 0)).hasSize(1);
    }
  }

  @Test
  void aConnectionLostWhileMigratingOnOpenIsTransientAndAReopenMigrates() throws Exception {
    String url = databases.newUrl();
    try (FaultProxy proxy = proxy()) {
      String proxied = through(proxy, url);

      proxy.cutAfter("CREATE TABLE");
      assertThatThrownBy(() -> DbProviders.open(config(proxied).build()))
          .isInstanceOf(DbTransientException.class)
          .hasMessageContaining("cannot open postgres database");
      assertThat(proxy.cuts()).isEqualTo(1);

      try (DbProvider db = DbProviders.open(config(proxied).build())) {
        assertThat(db.health().schemaVersion()).isPresent();
        assertThat(db.users().create("google", "ada", UserProfile.EMPTY).id()).isNotBlank();
      }
    }
  }

  @Test
  void aConnectionLostWhileReadingTheSettingsOnOpenIsTransientNotARawJooqError() throws Exception {
    String url = databases.newUrl();
    DbProviders.open(config(url).build()).close();
    try (FaultProxy proxy = proxy()) {
      proxy.cutAfter("\"vector_settings\"");

      assertThatThrownBy(() -> DbProviders.open(config(through(proxy, url)).build()))
          .isInstanceOf(DbTransientException.class);
      assertThat(proxy.cuts()).isEqualTo(1);
    }
  }

  private static FaultProxy proxy() throws java.io.IOException {
    return new FaultProxy(serverUrl.host().orElseThrow(), serverUrl.port());
  }

  private static DbConfig.Builder config(String url) {
    return DbConfig.builder().url(url).poolSize(2);
  }

  /** The test URL, through the proxy and without TLS (the proxy must see the statements). */
  private static String through(FaultProxy proxy, String url) {
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    StringBuilder query = new StringBuilder("sslmode=disable");
    parsed
        .options()
        .forEach(
            (k, v) -> {
              if (!k.equalsIgnoreCase("sslmode")) {
                query.append('&').append(k).append('=').append(encode(v));
              }
            });
    String credentials =
        parsed
            .user()
            .map(u -> encode(u) + parsed.password().map(p -> ":" + encode(p)).orElse("") + "@")
            .orElse("");
    return "postgres://"
        + credentials
        + "127.0.0.1:"
        + proxy.port()
        + "/"
        + encode(parsed.database().orElseThrow())
        + "?"
        + query;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Polls: what the server had committed shows within moments on another connection. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("the committed write did not show within 10 s");
      }
      Thread.sleep(20);
    }
  }
}
