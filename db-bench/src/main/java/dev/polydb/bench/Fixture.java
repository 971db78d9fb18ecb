package dev.polydb.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.testkit.PostgresTestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.sqlite.SQLiteDataSource;

/**
 * One database for a benchmark run: the library's provider on it, and a second HikariCP pool with
 * the same size and connection settings for the hand-written JDBC baseline. SQLite: a file in a
 * temporary folder. Postgres: a fresh schema on the server {@code TEST_DATABASE_URL} names, dropped
 * at the end.
 */
final class Fixture implements AutoCloseable {
  static final int POOL_SIZE = 4;
  static final int USERS = 1_000;

  final String backend;
  final DbProvider db;
  final HikariDataSource pool;
  final List<User> users = new ArrayList<>();
  private final Path folder;
  private final String url;

  private Fixture(String backend, String url, Path folder) {
    this.backend = backend;
    this.url = url;
    this.folder = folder;
    DbConfig config = DbConfig.builder().url(url).poolSize(POOL_SIZE).vectorDimension(384).build();
    this.db = DbProviders.open(config);
    DataSource plain = DbProviders.factoryFor(url).dataSource(config);
    if (plain instanceof SQLiteDataSource sqlite) {
      // the provider's own PRAGMAs: BEGIN IMMEDIATE, so a writer takes the lock at once, and
      // synchronous=NORMAL, which is durable in WAL mode but for the last commits on power loss
      sqlite.setTransactionMode("IMMEDIATE");
      sqlite.setSynchronous("NORMAL");
    }
    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(plain);
    hikari.setPoolName("bench-jdbc-" + backend);
    hikari.setMaximumPoolSize(POOL_SIZE);
    hikari.setMinimumIdle(POOL_SIZE);
    this.pool = new HikariDataSource(hikari);
    for (int i = 0; i < USERS; i++) {
      users.add(
          db.users()
              .create(
                  "google", "subject-" + i, UserProfile.of("u" + i + "@example.com", null, null)));
    }
  }

  /**
   * Opens a fixture.
   *
   * @param backend {@code sqlite} or {@code postgres}
   */
  static Fixture open(String backend) {
    try {
      if (backend.equals("sqlite")) {
        Path folder = Files.createTempDirectory("polydb-bench");
        return new Fixture(backend, "sqlite:" + folder.resolve("bench.db"), folder);
      }
      return new Fixture(backend, PostgresTestServer.get().newDatabaseUrl(), null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean postgres() {
    return backend.equals("postgres");
  }

  @Override
  public void close() {
    db.close();
    pool.close();
    if (folder != null) {
      try (Stream<Path> files = Files.walk(folder)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      PostgresTestServer.get().dropDatabase(url);
    }
  }
}
