package dev.polydb.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.FreshDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** copy reads one snapshot of the file: a writer cannot tear it, and a locked file is refused. */
class CopySnapshotTest {
  private static final int ENTRIES_PER_USER = 5;
  @RegisterExtension final FreshDatabases databases = new FreshDatabases();

  @TempDir Path dir;

  /**
   * A writer adds users, each with their entries in one transaction, all through the copy: the copy
   * holds whole users only (each with all their entries), as of one moment.
   */
  @Test
  void aWriterRunningDuringTheCopyCannotTearIt() throws Exception {
    String source = "sqlite:" + dir.resolve("app.db");
    DbConfig config = DbConfig.builder().url(source).vectorDimension(4).build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger written = new AtomicInteger();
    String target = databases.newUrl();
    try (DbProvider db = DbProviders.open(config)) {
      for (int i = 0; i < 300; i++) {
        addUser(db, "before-" + i);
      }
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; !stop.get(); i++) {
                  addUser(db, "during-" + i);
                  written.incrementAndGet();
                }
              });
      writer.start();
      try {
        Cli.Run copy = Cli.run("copy", "--from", source, "--to", target, "--batch-rows", "7");
        assertThat(copy.exit()).as(copy.all()).isZero();
      } finally {
        stop.set(true);
        writer.join();
      }
    }
    assertThat(written.get()).as("users written during the copy").isPositive();
    try (Connection c = databases.dataSource(target).getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM users u WHERE (SELECT count(*) FROM journal_entries j"
                    + " WHERE j.user_id = u.id) <> "
                    + ENTRIES_PER_USER)) {
      rs.next();
      assertThat(rs.getLong(1)).as("users copied without all their entries").isZero();
    }
  }

  @Test
  void aFileLockedByAWriterIsRefusedAfterTheTimeout() throws Exception {
    Path file = dir.resolve("locked.db");
    String source = SampleDatabase.write(file, 4, 1);
    String target = databases.newUrl();
    try (Connection writer = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = writer.createStatement()) {
      s.execute("PRAGMA journal_mode = DELETE");
      // without a write-ahead log, a writer's EXCLUSIVE lock keeps every reader out
      s.execute("BEGIN EXCLUSIVE");

      Cli.Run copy =
          Cli.run(
              Map.of("DB_STATEMENT_TIMEOUT", "300ms"), "copy", "--from", source, "--to", target);

      assertThat(copy.exit()).as(copy.all()).isEqualTo(3);
      assertThat(copy.err()).contains("locked by another connection");
      s.execute("ROLLBACK");
    }
  }

  private static void addUser(DbProvider db, String subject) {
    db.inTransaction(
        tx -> {
          User user = tx.users().create("google", subject, UserProfile.EMPTY);
          for (int j = 0; j < ENTRIES_PER_USER; j++) {
            tx.journal().insert(user.id(), "entry " + j);
          }
          return null;
        });
  }
}
