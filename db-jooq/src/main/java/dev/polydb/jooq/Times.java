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
    if (Duration.between(start, Check.LATEST).compareTo(amount) <= 0) {
      return Check.LATEST;
    }
    return start.plus(amount);
  }

  /** {@code start - amount}, or {@link Check#EARLIEST} when that lies before it. */
  static Instant earlier(Instant start, Duration amount) {
    if (Duration.between(Check.EARLIEST, start).compareTo(amount) <= 0) {
      return Check.EARLIEST;
    }
    return start.minus(amount);
  }
}
