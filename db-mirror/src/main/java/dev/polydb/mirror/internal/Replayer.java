package dev.polydb.mirror.internal;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbException;
import dev.polydb.api.DbProviders;
import dev.polydb.migrations.TableModel;
import dev.polydb.migrations.TableModel.Table;
import dev.polydb.mirror.MirrorStatus;
import dev.polydb.mirror.MirrorStatus.State;
import dev.polydb.mirror.internal.ChangeLog.Change;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that moves the SQLite log to Postgres. It polls the log (a read of an index, some
 * microseconds), applies what it finds in batches of at most {@value #BATCH} entries, each batch
 * one Postgres transaction that also moves the position, and prunes what Postgres holds. A failure
 * is counted, logged once per run of failures, and retried with a growing pause up to {@link
 * #MAX_PAUSE}; the primary never waits for any of it.
 */
final class Replayer implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Replayer.class);
  static final int BATCH = 500;
  private static final Duration POLL = Duration.ofMillis(20);
  private static final Duration FIRST_PAUSE = Duration.ofMillis(100);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(5);
  private static final Duration PRUNE_EVERY = Duration.ofSeconds(1);

  private final DbConfig mirrorConfig;
  private final String redactedMirror;
  private final DataSource sqlite;
  private final DataSource postgres;
  private final String source;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  private volatile boolean running = true;
  private volatile State state = State.STARTING;
  private volatile String problem;
  private volatile long pending;
  private volatile long replayed;
  private volatile long failures;
  private volatile long position = -1;

  private Connection log;
  private Target target;
  private boolean migrated;
  private int failuresInRun;
  private long lastPrune;

  Replayer(DbConfig mirrorConfig, DataSource sqlite, DataSource postgres, String source) {
    this.mirrorConfig = mirrorConfig;
    this.redactedMirror = mirrorConfig.redactedUrl();
    this.sqlite = sqlite;
    this.postgres = postgres;
    this.source = source;
  }

  /**
   * The state now. The writes still pending are counted afresh from the file, not taken from the
   * thread's last poll: a write committed since then must not let the mirror look caught up (a
   * switch-over waits for exactly that).
   */
  MirrorStatus status() {
    long waiting = pending;
    long at = position;
    if (at >= 0) {
      try (Connection c = sqlite.getConnection()) {
        waiting = Math.max(0, ChangeLog.lastSeq(c) - at);
      } catch (SQLException e) {
        // the file cannot be read just now: the thread's last count stands
      }
    }
    return new MirrorStatus(state, waiting, replayed, failures, Optional.ofNullable(problem));
  }

  /** Asks the thread to stop once it has tried to send what is pending, within a bound. */
  void stop() {
    running = false;
    wake();
  }

  void wake() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    try {
      while (running) {
        Duration pause = step();
        if (running) {
          sleep(pause);
        }
      }
    } finally {
      disconnect();
      if (log != null) {
        try {
          log.close();
        } catch (SQLException e) {
          // the file stays as it was: nothing of the log is lost by a failed close
        }
      }
    }
  }

  /** One round: replay what is there; returns how long to wait before the next. */
  private Duration step() {
    try {
      if (state == State.DIVERGED && !resynced()) {
        return MAX_PAUSE;
      }
      connect();
      if (position < 0 && !start()) {
        return MAX_PAUSE;
      }
      List<Change> changes = ChangeLog.read(log, position, BATCH);
      pending = changes.isEmpty() ? 0 : ChangeLog.lastSeq(log) - position;
      if (!changes.isEmpty()) {
        replay(changes);
      }
      prune();
      recovered();
      return changes.size() == BATCH ? Duration.ZERO : POLL;
    } catch (SQLException | RuntimeException e) {
      return failed(e);
    }
  }

  /** Reads the position, or builds the mirror from a snapshot; false when it must not. */
  private boolean start() throws SQLException {
    Map<String, Long> positions = target.positions();
    Long mine = positions.get(source);
    if (mine != null) {
      position = mine;
      return true;
    }
    if (!positions.isEmpty()) {
      diverge(
          "the mirror holds another SQLite file's position: it was mirrored from a different"
              + " file; run polydb mirror resync to mirror this one");
      return false;
    }
    if (!target.empty()) {
      diverge(
          "the mirror's tables hold rows it did not get from this file and it is left untouched;"
              + " run polydb mirror resync to replace them with the file's rows");
      return false;
    }
    snapshot();
    return true;
  }

  /**
   * Copies every row of a SQLite snapshot and records the log position that snapshot includes, in
   * one Postgres transaction: the log entries after it are exactly the writes the snapshot lacks.
   */
  private void snapshot() throws SQLException {
    boolean autoCommit = log.getAutoCommit();
    log.setAutoCommit(false); // one read transaction: every table and the position agree
    try (Statement s = log.createStatement()) {
      long seq = ChangeLog.lastSeq(log);
      long rows = 0;
      for (Table table : TableModel.TABLES) {
        try (ResultSet r =
            s.executeQuery("SELECT " + ChangeLog.image(table, "") + " FROM " + table.name())) {
          int waiting = 0;
          while (r.next()) {
            target.addToBatch(table, r.getString(1));
            rows++;
            if (++waiting == BATCH) {
              target.flush(table);
              waiting = 0;
            }
          }
          target.flush(table);
        }
      }
      target.apply(List.of(ChangeLog.settings(log)));
      if (target.lockPosition(source).isPresent()) {
        target.rollbackQuietly(); // another process got there first
        return;
      }
      target.setPosition(source, seq);
      target.commit();
      position = seq;
      LOG.info("mirror {} built from a snapshot of the SQLite file: {} rows", redactedMirror, rows);
    } catch (SQLException | RuntimeException e) {
      target.rollbackQuietly();
      throw e;
    } finally {
      log.commit();
      log.setAutoCommit(autoCommit);
    }
  }

  private void replay(List<Change> changes) throws SQLException {
    if (changes.get(0).seq() != position + 1) {
      diverge(
          "log entries "
              + (position + 1)
              + " to "
              + (changes.get(0).seq() - 1)
              + " are missing from the SQLite file; run polydb mirror resync");
      return;
    }
    int end = 0;
    while (end < changes.size() && changes.get(end).op() != Change.BREAK) {
      end++;
    }
    List<Change> batch = changes.subList(0, end);
    if (!batch.isEmpty()) {
      long last = batch.get(batch.size() - 1).seq();
      try {
        Optional<Long> held = target.lockPosition(source);
        if (held.isEmpty() || held.get() != position) {
          // another process mirroring the same file moved it, or a resync removed it
          target.rollbackQuietly();
          position = -1;
          return;
        }
        target.apply(batch);
        target.setPosition(source, last);
        target.commit();
      } catch (SQLException | RuntimeException e) {
        target.rollbackQuietly();
        throw e;
      }
      position = last;
      replayed += batch.size();
      pending = Math.max(0, pending - batch.size());
    }
    if (end < changes.size()) {
      diverge(
          "the SQLite file was opened in another mode (DB_MODE=sqlite) after write "
              + changes.get(end).seq()
              + " and the writes made since were not logged; run polydb mirror resync");
    }
  }

  /** After a resync removed the position and emptied the tables, the mirror can start again. */
  private boolean resynced() throws SQLException {
    connect();
    if (target.positions().isEmpty() && target.empty()) {
      LOG.info("mirror {} was emptied for a resync; rebuilding it", redactedMirror);
      state = State.STARTING;
      problem = null;
      position = -1;
      return true;
    }
    return false;
  }

  private void connect() throws SQLException {
    if (log == null) {
      log = sqlite.getConnection();
    }
    if (target != null) {
      return;
    }
    if (!migrated) {
      // the provider's own open migrates the mirror with the primary's vector settings
      DbProviders.open(mirrorConfig).close();
      migrated = true;
    }
    Target t = new Target(postgres.getConnection());
    try {
      t.prepare();
    } catch (SQLException | RuntimeException e) {
      t.closeQuietly();
      throw e;
    }
    target = t;
  }

  private void disconnect() {
    if (target != null) {
      target.closeQuietly();
      target = null;
    }
  }

  private void prune() {
    long now = System.nanoTime();
    if (position <= 0 || now - lastPrune < PRUNE_EVERY.toNanos()) {
      return;
    }
    lastPrune = now;
    try {
      ChangeLog.prune(log, position);
    } catch (SQLException e) {
      // the file was busy: what is applied is skipped by position and pruned next time
    }
  }

  private void recovered() {
    if (state == State.DIVERGED) {
      return;
    }
    if (state == State.FAILING) {
      LOG.info(
          "mirror {} is reachable again after {} failed attempts; replaying",
          redactedMirror,
          failuresInRun);
    }
    failuresInRun = 0;
    state = State.REPLAYING;
    problem = null;
  }

  private Duration failed(Exception e) {
    failures++;
    failuresInRun++;
    disconnect();
    String what = describe(e);
    if (state != State.FAILING) {
      // once per run of failures; the message is the error's class, never a driver's text
      LOG.warn(
          "mirror {} failed: {}; the primary goes on and the waiting writes are retried",
          redactedMirror,
          what);
    }
    if (state != State.DIVERGED) {
      state = State.FAILING;
      problem = "the mirror failed: " + what + "; retrying";
    }
    long pause = FIRST_PAUSE.toMillis() << Math.min(failuresInRun - 1, 6);
    return Duration.ofMillis(Math.min(pause, MAX_PAUSE.toMillis()));
  }

  private void diverge(String why) {
    if (state != State.DIVERGED) {
      LOG.warn("mirror {} stopped: {}", redactedMirror, why);
    }
    state = State.DIVERGED;
    problem = why;
  }

  /** An error's kind and SQLState; driver messages may quote row values and are left out. */
  static String describe(Throwable e) {
    Throwable t = e instanceof Target.Wrapped w ? w.getCause() : e;
    if (t instanceof DbException db) {
      return db.getMessage(); // the library's own messages hold no secret and no row value
    }
    if (t instanceof SQLException sql) {
      return "SQLState " + sql.getSQLState() + " (" + sql.getClass().getSimpleName() + ")";
    }
    return t.getClass().getSimpleName();
  }

  private void sleep(Duration pause) {
    if (pause.isZero()) {
      return;
    }
    lock.lock();
    try {
      if (running) {
        changed.await(pause.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }
}
