package dev.polydb.jooq;

import dev.polydb.api.internal.Check;
import java.time.Duration;
import java.time.Instant;

/**
 * Instant arithmetic that stays inside the range every backend stores ({@link Check#EARLIEST} to
 * {@link Check#LATEST}): a lifetime or grace period too long to represent saturates at the range's
 * end rather than overflowing or reaching a value one backend stores and the other refuses.
 */
final class Times {
  private Times() {}

  /** {@code start + amount}, or {@link Check#LATEST} when that lies beyond it. */
  static Instant later(Instant start, Duration amount) {
    if (span(start, Check.LATEST).compareTo(amount) <= 0) {
      return Check.LATEST;
    }
    return start.plus(amount);
  }

  /** {@code start - amount}, or {@link Check#EARLIEST} when that lies before it. */
  static Instant earlier(Instant start, Duration amount) {
    if (span(Check.EARLIEST, start).compareTo(amount) <= 0) {
      return Check.EARLIEST;
    }
    return start.minus(amount);
  }

  /**
   * {@code to - from}. Not {@code Duration.between}: over more than 292 years it first overflows a
   * count of nanoseconds and catches the ArithmeticException, an exception built on every call of
   * the hot paths that use these bounds.
   */
  private static Duration span(Instant from, Instant to) {
    return Duration.ofSeconds(
        to.getEpochSecond() - from.getEpochSecond(), (long) to.getNano() - from.getNano());
  }
}
