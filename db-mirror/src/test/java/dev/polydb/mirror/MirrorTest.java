package dev.polydb.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.BackendMode;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbTimeoutException;
import dev.polydb.api.UserProfile;
import dev.polydb.mirror.MirrorStatus.State;
import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mirror mode on a real SQLite file and a real PostgreSQL schema: what the primary wrote reads the
 * same on the mirror, existing rows arrive by a snapshot, a rolled-back write never arrives, and
 * each way replay cannot be trusted stops it and says why.
 */
class MirrorTest {
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  private DbConfig.Builder config(String file, String mirror) {
    return DbConfig.builder()
        .url("sqlite:" + dir.resolve(file))
        .vectorDimension(4)
        .mirrorUrl(mirror);
  }

  private DbConfig mirrorOf(DbConfig config) {
    return config.toBuilder()
        .url(config.mirrorUrl().orElseThrow())
        .mode(null)
        .mirrorUrl(null)
        .build();
  }

  static MirrorStatus await(DbProvider db, Predicate<MirrorStatus> condition)
      throws InterruptedException {
    return MirrorProviderFactory.await(db, condition, Duration.ofSeconds(60));
  }

  @Test
  void awaitGivesUpWithTheLastStatusAndRefusesAProviderThatIsNoMirror() throws Exception {
    DbConfig config = config("await.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    try (DbProvider db = DbProviders.open(config)) {
      assertThatThrownBy(() -> MirrorProviderFactory.await(db, s -> false, Duration.ofMillis(100)))
          .isInstanceOf(DbTimeoutException.class)
          .hasMessageContaining("within PT0.1S")
          .hasMessageContaining("MirrorStatus[state=");
      assertThat(MirrorProviderFactory.await(db, s -> true, Duration.ZERO)).isNotNull();
    }
    try (DbProvider plain = DbProviders.open("sqlite:" + dir.resolve("plain.db"))) {
      assertThatThrownBy(() -> MirrorProviderFactory.await(plain, s -> true, Duration.ofSeconds(1)))
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining("not a mirror provider");
    }
  }

  @Test
  void everyWriteReadsTheSameOnTheMirror() throws Exception {
    DbConfig config = config("app.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    Workload work = new Workload();
    try (DbProvider db = DbProviders.open(config)) {
      assertThat(db.backend()).isEqualTo("mirror");
      await(db, MirrorStatus::caughtUp); // started: what follows is replayed, not snapshotted
      for (int i = 0; i < 12; i++) {
        work.round(db, "u" + i);
      }
      MirrorStatus status = await(db, MirrorStatus::caughtUp);
      assertThat(status.replayedWrites()).isGreaterThan(12 * 10);
      assertThat(status.failures()).isZero();
      assertThat(db.health().problem()).isEmpty();
      try (DbProvider mirror = DbProviders.open(mirrorOf(config))) {
        work.assertSame(db, mirror);
      }
    }
  }

  @Test
  void rowsWrittenBeforeTheMirrorStartedArriveByASnapshotAndRolledBackWritesNever()
      throws Exception {
    DbConfig config = config("app.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    Workload work = new Workload();
    try (DbProvider plain = DbProviders.open(config.toBuilder().mode(null).build())) {
      for (int i = 0; i < 5; i++) {
        work.round(plain, "before" + i);
      }
    }
    try (DbProvider db = DbProviders.open(config)) {
      work.round(db, "after");
      assertThatThrownBy(
              () ->
                  db.inTransaction(
                      tx -> {
                        tx.users().create("google", "rolled-back", UserProfile.EMPTY);
                        throw new IllegalStateException("undo");
                      }))
          .isInstanceOf(IllegalStateException.class);
      await(db, MirrorStatus::caughtUp);
      try (DbProvider mirror = DbProviders.open(mirrorOf(config))) {
        work.assertSame(db, mirror);
        assertThat(mirror.users().findByProvider("google", "rolled-back")).isEmpty();
      }
    }
  }

  @Test
  void aTargetHoldingOtherDataIsLeftUntouchedAndTheMirrorSaysWhy() throws Exception {
    DbConfig config = config("app.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    String stranger;
    try (DbProvider other = DbProviders.open(mirrorOf(config))) {
      stranger = other.users().create("github", "someone-else", UserProfile.EMPTY).id();
    }
    try (DbProvider db = DbProviders.open(config)) {
      db.users().create("google", "mine", UserProfile.EMPTY); // the primary works throughout
      MirrorStatus status = await(db, s -> s.state() == State.DIVERGED);
      assertThat(status.problem().orElseThrow()).contains("rows it did not get", "mirror resync");
      assertThat(db.health().problem().orElseThrow()).startsWith("mirror: ");
    }
    try (DbProvider other = DbProviders.open(mirrorOf(config))) {
      assertThat(other.users().findById(stranger)).isPresent();
      assertThat(other.users().findByProvider("google", "mine")).isEmpty();
    }
  }

  @Test
  void writesMadeWithDbModeSqliteStopTheMirrorUntilAResync() throws Exception {
    DbConfig config = config("app.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    Workload work = new Workload();
    try (DbProvider db = DbProviders.open(config)) {
      work.round(db, "mirrored");
      await(db, MirrorStatus::caughtUp);
    }
    // with no mode (a tool) the triggers stay and log; with DB_MODE=sqlite the mirror has ended
    try (DbProvider tool = DbProviders.open(config.toBuilder().mode(null).build())) {
      work.round(tool, "logged");
    }
    try (DbProvider alone = DbProviders.open(config.toBuilder().mode(BackendMode.SQLITE).build())) {
      work.round(alone, "unlogged");
    }
    try (DbProvider db = DbProviders.open(config)) {
      MirrorStatus status = await(db, s -> s.state() == State.DIVERGED);
      assertThat(status.problem().orElseThrow()).contains("DB_MODE=sqlite", "mirror resync");
      try (Connection pg = databases.dataSource(config.mirrorUrl().orElseThrow()).getConnection()) {
        MirrorAdmin.resync(pg);
      }
      await(db, MirrorStatus::caughtUp);
      try (DbProvider mirror = DbProviders.open(mirrorOf(config))) {
        work.assertSame(db, mirror);
      }
    }
  }

  @Test
  void theLogIsPrunedOnceTheMirrorHoldsIt() throws Exception {
    DbConfig config = config("app.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    try (DbProvider db = DbProviders.open(config)) {
      new Workload().round(db, "one");
      await(db, MirrorStatus::caughtUp);
      Thread.sleep(1_500); // the replayer prunes at most once a second
      new Workload().round(db, "two");
      await(db, MirrorStatus::caughtUp);
    }
    try (Connection c =
            java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("app.db"));
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT count(*), (SELECT seq FROM sqlite_sequence WHERE name = 'polydb_mirror_log') FROM polydb_mirror_log")) {
      r.next();
      assertThat(r.getLong(2)).isGreaterThan(20);
      assertThat(r.getLong(1)).isLessThan(r.getLong(2));
    }
  }

  @Test
  void aTenantIsRefusedRatherThanLeftUnmirrored() throws Exception {
    DbConfig config = config("app.db", databases.newUrl()).mode(BackendMode.MIRROR).build();
    try (DbProvider db = DbProviders.open(config)) {
      assertThatThrownBy(() -> db.tenant("acme"))
          .isInstanceOf(DbConfigException.class)
          .hasMessageContaining("does not mirror tenants");
    }
  }
}
