package dev.polydb.mirror;

import java.util.Optional;

/**
 * Where a mirror stands, for health checks, dashboards and tests.
 *
 * @param state whether it replays, retries or has stopped
 * @param pendingWrites writes committed on SQLite and not yet on Postgres, as last read
 * @param replayedWrites writes replayed since the provider opened
 * @param failures failed attempts to reach or write Postgres since the provider opened
 * @param problem what is wrong, when the state is not {@link State#REPLAYING}: an error class and
 *     the way out, never a row value or a secret
 */
public record MirrorStatus(
    State state, long pendingWrites, long replayedWrites, long failures, Optional<String> problem) {

  /** The replayer's state. */
  public enum State {
    /** Postgres has not been reached yet since the provider opened. */
    STARTING,
    /** Replaying: Postgres is reachable and the log is being applied. */
    REPLAYING,
    /** The last attempt failed; writes wait in the log and are retried. */
    FAILING,
    /**
     * Replay has stopped because Postgres can no longer be brought in line by replay alone (writes
     * were made without the mirror, or the target holds rows it did not get from this file). The
     * primary keeps working; {@code polydb mirror resync} brings the mirror back (docs/modes.md).
     */
    DIVERGED
  }

  /**
   * Whether every write committed so far is on Postgres.
   *
   * @return {@code true} when replaying with nothing pending
   */
  public boolean caughtUp() {
    return state == State.REPLAYING && pendingWrites == 0;
  }
}
