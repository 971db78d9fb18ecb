package dev.polydb.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.polydb.api.Chunk;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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

  /** Chunks per {@code vectors().upsert} when a benchmark loads embeddings. */
  static final int BATCH = 1_000;

  /** The embedding model every benchmark's chunks name. */
  static final String MODEL = "bench-model";

  final String backend;
  final DbConfig config;
  final DbProvider db;
  final HikariDataSource pool;
  final List<User> users = new ArrayList<>();
  private final Path folder;
  private final String url;
  private final int dimension;

  private Fixture(String backend, String url, Path folder, int dimension) {
    this.backend = backend;
    this.url = url;
    this.folder = folder;
    this.dimension = dimension;
    // the metric is the default, cosine; so is the index on Postgres, HNSW
    this.config =
        DbConfig.builder().url(url).poolSize(POOL_SIZE).vectorDimension(dimension).build();
    this.db = DbProviders.open(config);
    DataSource plain = DbProviders.factoryFor(url).dataSource(config);
    if (plain instanceof SQLiteDataSource sqlite) {
      // the provider's own PRAGMAs: BEGIN IMMEDIATE, so a writer takes the lock at once, and
      // synchronous=NORMAL, which is durable in WAL mode but for the last commits on power loss
      sqlite.setTransactionMode("IMMEDIATE");
      sqlite.setSynchronous("NORMAL");
    }
    this.pool = pool(plain, "bench-jdbc-" + backend);
    for (int i = 0; i < USERS; i++) {
      users.add(
          db.users()
              .create(
                  "google", "subject-" + i, UserProfile.of("u" + i + "@example.com", null, null)));
    }
  }

  /**
   * A pool with the library's size and connection settings, for a baseline.
   *
   * @param name the pool's name
   * @return a new pool, which the caller closes
   */
  HikariDataSource newPool(String name) {
    return pool(DbProviders.factoryFor(url).dataSource(config), name);
  }

  private static HikariDataSource pool(DataSource plain, String name) {
    HikariConfig hikari = new HikariConfig();
    hikari.setDataSource(plain);
    hikari.setPoolName(name);
    hikari.setMaximumPoolSize(POOL_SIZE);
    hikari.setMinimumIdle(POOL_SIZE);
    return new HikariDataSource(hikari);
  }

  /**
   * Opens a fixture whose vector store has 384 dimensions.
   *
   * @param backend {@code sqlite} or {@code postgres}
   */
  static Fixture open(String backend) {
    return open(backend, 384);
  }

  /**
   * Opens a fixture.
   *
   * @param backend {@code sqlite} or {@code postgres}
   * @param dimension the vector store's dimension
   */
  static Fixture open(String backend, int dimension) {
    try {
      if (backend.equals("sqlite")) {
        Path folder = Files.createTempDirectory("polydb-bench");
        return new Fixture(backend, "sqlite:" + folder.resolve("bench.db"), folder, dimension);
      }
      return new Fixture(backend, PostgresTestServer.get().newDatabaseUrl(), null, dimension);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes rows {@code [from, to)} of {@code vectors} as chunks of {@code owner} through the
   * library, {@value #BATCH} per upsert.
   *
   * @param vectors row-major, of the store's dimension
   * @return how long it took, in nanoseconds
   */
  long upsertChunks(String owner, float[] vectors, int from, int to) {
    long start = System.nanoTime();
    for (int batch = from; batch < to; batch += BATCH) {
      List<Chunk> chunks = new ArrayList<>(BATCH);
      for (int row = batch; row < Math.min(batch + BATCH, to); row++) {
        float[] embedding = Arrays.copyOfRange(vectors, row * dimension, (row + 1) * dimension);
        chunks.add(
            Chunk.of(
                chunkId(row),
                owner,
                "document-" + row / 100,
                row % 100,
                "chunk " + row,
                Map.of(),
                embedding,
                MODEL));
      }
      db.vectors().upsert(chunks);
    }
    return System.nanoTime() - start;
  }

  /** The id of the chunk that holds row {@code row} of a benchmark's vectors. */
  static String chunkId(int row) {
    return "c" + row;
  }

  /** The row a chunk id of {@link #chunkId} names. */
  static int row(String chunkId) {
    return Integer.parseInt(chunkId.substring(1));
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
