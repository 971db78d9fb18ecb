package dev.polydb.api;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a provider reports what it does, for an application's dashboards: every call of every area,
 * the pool, and the events worth counting. Every method does nothing by default, so an
 * implementation overrides what it records and a provider without one ({@link #NONE}, the default)
 * pays nothing: its areas are not wrapped at all. Implementations must be thread-safe and fast;
 * they are called on the caller's thread. {@code db-micrometer} binds this to Micrometer.
 *
 * <p>Nothing a provider passes here holds a secret or a row value: backends and operations are
 * fixed names, pools are named by the library.
 */
public interface DbMetrics {

  /** Records nothing. */
  DbMetrics NONE = new DbMetrics() {};

  /** How a call ended, by the kind of exception it raised. */
  enum Outcome {
    /** Returned normally. */
    SUCCESS,
    /** {@link DbNotFoundException}. */
    NOT_FOUND,
    /** {@link DbConflictException}. */
    CONFLICT,
    /** {@link DbValidationException}, or another argument the library refused. */
    INVALID,
    /** {@link DbReadOnlyException}. */
    READ_ONLY,
    /** {@link DbQuotaExceededException}. */
    QUOTA_EXCEEDED,
    /** {@link DbTimeoutException}. */
    TIMEOUT,
    /** {@link DbTransientException} or {@link DbOutcomeUnknownException}. */
    TRANSIENT,
    /** Anything else. */
    ERROR;

    /**
     * The outcome of a call that raised an exception.
     *
     * @param failure what it raised
     * @return the outcome
     */
    public static Outcome of(Throwable failure) {
      if (failure instanceof DbNotFoundException) {
        return NOT_FOUND;
      }
      if (failure instanceof DbConflictException) {
        return CONFLICT;
      }
      if (failure instanceof DbValidationException || failure instanceof IllegalArgumentException) {
        return INVALID;
      }
      if (failure instanceof DbReadOnlyException) {
        return READ_ONLY;
      }
      if (failure instanceof DbQuotaExceededException) {
        return QUOTA_EXCEEDED;
      }
      if (failure instanceof DbTimeoutException) {
        return TIMEOUT;
      }
      if (failure instanceof DbTransientException || failure instanceof DbOutcomeUnknownException) {
        return TRANSIENT;
      }
      return ERROR;
    }
  }

  /**
   * A call of an area finished.
   *
   * @param backend the backend's name, e.g. {@code sqlite}
   * @param operation the area and method, e.g. {@code users.findById}
   * @param outcome how it ended
   * @param duration how long it took, on the caller's thread
   */
  default void operation(String backend, String operation, Outcome outcome, Duration duration) {}

  /**
   * A provider's pool opened; its figures may be read from now until {@link #poolClosed}.
   *
   * @param backend the backend's name
   * @param pool the pool's name, unique in the process, e.g. {@code polydb-postgres-1}
   * @param stats reads the pool's current figures
   */
  default void poolOpened(String backend, String pool, Supplier<PoolStats> stats) {}

  /**
   * A provider's pool closed.
   *
   * @param backend the backend's name
   * @param pool the pool's name
   */
  default void poolClosed(String backend, String pool) {}

  /**
   * A refresh token was presented again after its rotation, outside the grace window, and its
   * family was revoked.
   *
   * @param backend the backend's name
   */
  default void reuseDetected(String backend) {}

  /**
   * A subscription expiry sweep ran.
   *
   * @param backend the backend's name
   * @param expired the subscriptions it expired
   */
  default void expirySweep(String backend, int expired) {}

  /**
   * A revoked-JWT-id check was answered from the cache, or had to ask the database.
   *
   * @param backend the backend's name
   * @param hit whether the cache answered
   */
  default void jtiCache(String backend, boolean hit) {}

  /**
   * A backend-specific hook, for a binding that knows the backend's pool library: e.g. HikariCP's
   * {@code MetricsTrackerFactory}, which the Postgres backend hands to its pool when one is
   * offered. The default offers none.
   *
   * @param type what the backend asks for
   * @param <T> its type
   * @return the hook, when this implementation has one
   */
  default <T> Optional<T> extension(Class<T> type) {
    return Optional.empty();
  }
}
