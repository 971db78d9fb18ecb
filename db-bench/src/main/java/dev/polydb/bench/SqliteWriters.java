package dev.polydb.bench;

import dev.polydb.api.IssuedToken;
import dev.polydb.api.RotationResult;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SQLite under concurrency: 4 threads writing (each rotating a refresh token of its own: a
 * transaction of an update and an insert) beside 8 threads reading (a user by id), on one provider,
 * against the same by hand on a pool of the same size with the same PRAGMAs and {@code BEGIN
 * IMMEDIATE}. The figure is committed writes per second; a busy error reaching a caller fails the
 * run.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SqliteWriters {
  private Fixture fixture;
  private Jdbc jdbc;
  private final AtomicInteger next = new AtomicInteger();

  /** Creates the state; JMH calls {@link #open()}. */
  public SqliteWriters() {}

  /** Opens a SQLite file with its users. */
  @Setup(Level.Trial)
  public void open() {
    fixture = Fixture.open("sqlite");
    jdbc = new Jdbc(fixture.pool, false);
  }

  /** Closes and removes it. */
  @TearDown(Level.Trial)
  public void close() {
    fixture.close();
  }

  private String someUser() {
    return fixture.users.get(Math.floorMod(next.getAndIncrement(), Fixture.USERS)).id();
  }

  /** What a writing thread rotates: a token of its own, one chain per way. */
  @State(Scope.Thread)
  public static class Writer {
    String user;
    String libraryToken;
    String jdbcToken;

    /** Creates the state; JMH calls {@link #prepare(SqliteWriters)}. */
    public Writer() {}

    /**
     * Issues this thread's first tokens.
     *
     * @param bench the shared state
     */
    @Setup(Level.Trial)
    public void prepare(SqliteWriters bench) {
      user = bench.someUser();
      libraryToken = bench.fixture.db.refreshTokens().issue(user).token();
      jdbcToken = bench.fixture.db.refreshTokens().issue(user).token();
    }
  }

  /**
   * A write through the library: the thread's token rotated.
   *
   * @param w the writing thread's state
   * @return the new token
   */
  @Benchmark
  @Group("library")
  @GroupThreads(4)
  public Object write_library(Writer w) {
    RotationResult result = fixture.db.refreshTokens().rotate(w.libraryToken, w.user);
    IssuedToken next = ((RotationResult.Rotated) result).next();
    w.libraryToken = next.token();
    return next;
  }

  /**
   * A read through the library, beside the writes.
   *
   * @return the user
   */
  @Benchmark
  @Group("library")
  @GroupThreads(8)
  public Object read_library() {
    return fixture.db.users().findById(someUser()).orElseThrow();
  }

  /**
   * The same write by hand.
   *
   * @param w the writing thread's state
   * @return the new token
   * @throws SQLException never, here
   */
  @Benchmark
  @Group("jdbc")
  @GroupThreads(4)
  public Object write_jdbc(Writer w) throws SQLException {
    IssuedToken next = jdbc.rotate(w.jdbcToken, w.user).orElseThrow();
    w.jdbcToken = next.token();
    return next;
  }

  /**
   * The same read by hand.
   *
   * @return the user
   * @throws SQLException never, here
   */
  @Benchmark
  @Group("jdbc")
  @GroupThreads(8)
  public Object read_jdbc() throws SQLException {
    return jdbc.findUserById(someUser()).orElseThrow();
  }
}
