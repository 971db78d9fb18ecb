package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.BackendMode;
import dev.polydb.api.DatabaseUrl;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.UserProfile;
import dev.polydb.mirror.MirrorProviderFactory;
import dev.polydb.mirror.MirrorStatus;
import dev.polydb.testkit.FaultProxy;
import dev.polydb.testkit.FreshDatabases;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirror mode with PostgreSQL away: refusing connections, its backend killed, a wrong port. Every
 * primary call succeeds, failures are counted, and once PostgreSQL is back {@code verify} finds the
 * two equal, or names what differs when replay cannot bring them in line.
 */
class MirrorModeTest {
  private static final int DIMENSION = 8;
  private static final String APP = "polydb_mirror_test";

  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  private String file() {
    return "sqlite:" + dir.resolve("app.db");
  }

  private DbConfig.Builder mirror(String mirrorUrl) {
    return DbConfig.builder().url(file()).mode(BackendMode.MIRROR).mirrorUrl(mirrorUrl);
  }

  /** The URL with its port replaced, and an application name to find its sessions by. */
  private static String via(String url, int port) {
    int was = DatabaseUrl.parse(url).port();
    return url.replaceFirst(":" + was + "/", ":" + port + "/") + "&application_name=" + APP;
  }

  private static MirrorStatus await(DbProvider db, Predicate<MirrorStatus> condition)
      throws InterruptedException {
    return MirrorProviderFactory.await(db, condition, Duration.ofSeconds(60));
  }

  private Cli.Run verify(String pg) {
    return Cli.run("verify", "--from", file(), "--to", pg, "--sample", "1000");
  }

  @Test
  void postgresRefusingThenKilledCostsThePrimaryNothingAndTheMirrorVerifiesEqualOnceBack()
      throws Exception {
    String pg = databases.newUrl();
    try (FaultProxy proxy = new FaultProxy("127.0.0.1", DatabaseUrl.parse(pg).port());
        DbProvider db =
            DbProviders.open(mirror(via(pg, proxy.port())).vectorDimension(DIMENSION).build())) {
      await(db, MirrorStatus::caughtUp);
      proxy.down(); // refused, and the open connection cut
      // every call goes to SQLite and succeeds while the mirror cannot be reached
      SampleDatabase.write(mirror(via(pg, proxy.port())), DIMENSION, 20, "away-");
      MirrorStatus away = await(db, s -> s.state() == MirrorStatus.State.FAILING);
      assertThat(away.failures()).isPositive();
      assertThat(db.health().problem().orElseThrow()).contains("mirror: the mirror failed");
      for (int i = 0; i < 50; i++) {
        db.users().create("google", "while-away-" + i, UserProfile.EMPTY);
      }
      assertThat(MirrorProviderFactory.status(db).orElseThrow().failures()).isPositive();

      proxy.up();
      MirrorStatus back = await(db, MirrorStatus::caughtUp);
      assertThat(back.replayedWrites()).isGreaterThan(50);
      assertThat(db.health().problem()).isEmpty();

      // a killed backend: the replayer's session ends under it
      try (Connection c = databases.dataSource(pg).getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"
                + APP
                + "'");
      }
      for (int i = 0; i < 50; i++) {
        db.users().create("google", "after-kill-" + i, UserProfile.EMPTY);
      }
      await(db, MirrorStatus::caughtUp);
    }
    Cli.Run verified = verify(pg);
    assertThat(verified.exit()).as(verified.all()).isZero();
    assertThat(verified.out()).contains("equal: every table");
    Cli.Run status = Cli.run("mirror", "status", "--from", file(), "--to", pg);
    assertThat(status.exit()).as(status.all()).isZero();
    assertThat(status.out()).contains(", 0 behind", "replay can bring it in line");
  }

  @Test
  void writesMadeWhileTheMirrorWasOnAWrongPortAreReplayedAfterARestart() throws Exception {
    String pg = databases.newUrl();
    int nothing;
    try (ServerSocket closed = new ServerSocket(0)) {
      nothing = closed.getLocalPort(); // free once closed: connections to it are refused
    }
    SampleDatabase.write(mirror(via(pg, nothing)), DIMENSION, 10, "wrong-port-");
    Cli.Run behind = Cli.run("mirror", "status", "--from", file(), "--to", pg);
    assertThat(behind.out()).contains("holds no position for this file");
    assertThat(verify(pg).exit()).isEqualTo(1);

    try (DbProvider db = DbProviders.open(mirror(pg).vectorDimension(DIMENSION).build())) {
      await(db, MirrorStatus::caughtUp);
    }
    Cli.Run verified = verify(pg);
    assertThat(verified.exit()).as(verified.all()).isZero();
  }

  @Test
  void whenReplayCannotCatchUpVerifyNamesTheDifferenceAndResyncRepairsIt() throws Exception {
    String pg = databases.newUrl();
    SampleDatabase.write(mirror(pg), DIMENSION, 5, "mirrored-");
    SampleDatabase.write(
        DbConfig.builder().url(file()).mode(BackendMode.SQLITE), DIMENSION, 2, "alone-");

    Cli.Run verified = verify(pg);
    assertThat(verified.exit()).isEqualTo(1);
    assertThat(verified.out()).contains("difference: users", "NOT EQUAL");
    Cli.Run status = Cli.run("mirror", "status", "--from", file(), "--to", pg, "--json");
    assertThat(status.exit()).isEqualTo(1);
    assertThat(status.out()).contains("DB_MODE=sqlite", "mirror resync");

    Cli.Run resync = Cli.run("mirror", "resync", "--to", pg, "--yes");
    assertThat(resync.exit()).as(resync.all()).isZero();
    try (DbProvider db = DbProviders.open(mirror(pg).vectorDimension(DIMENSION).build())) {
      await(db, MirrorStatus::caughtUp);
    }
    assertThat(verify(pg).exit()).isZero();
  }

  @Test
  void resyncRefusesADatabaseThatWasNeverAMirror() throws Exception {
    String pg = databases.newUrl();
    try (DbProvider other = DbProviders.open(pg)) {
      other.users().create("google", "keep-me", UserProfile.EMPTY);
    }
    Cli.Run resync = Cli.run("mirror", "resync", "--to", pg, "--yes");
    assertThat(resync.exit()).isEqualTo(3);
    assertThat(resync.err()).contains("never a mirror");
    try (DbProvider other = DbProviders.open(pg)) {
      assertThat(other.users().findByProvider("google", "keep-me")).isPresent();
    }
    assertThat(Cli.run("mirror", "resync", "--to", pg).exit())
        .as("no terminal and no --yes")
        .isEqualTo(2);
  }
}
