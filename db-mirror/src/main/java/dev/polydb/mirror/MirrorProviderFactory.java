package dev.polydb.mirror;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviderFactory;
import dev.polydb.api.DbTimeoutException;
import dev.polydb.mirror.internal.MirrorProvider;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Mirror mode, chosen by {@code DB_MODE=mirror} (never by a URL): SQLite at {@code DATABASE_URL}
 * answers every call, and every committed write is replayed, in commit order and with the same ids,
 * to the Postgres database at {@code DB_MIRROR_URL}. Writes are captured by triggers in the SQLite
 * file, in the writing transaction, so a write made while Postgres is away waits in the file and is
 * replayed once it is back, across restarts. See {@code docs/modes.md}.
 */
public final class MirrorProviderFactory implements DbProviderFactory {

  /** Creates the factory; {@link java.util.ServiceLoader} calls this. */
  public MirrorProviderFactory() {}

  @Override
  public String name() {
    return "mirror";
  }

  /** Claims no URL: {@code DB_MODE=mirror} chooses this factory. */
  @Override
  public boolean supports(String url) {
    return false;
  }

  @Override
  public DbProvider open(DbConfig config) {
    return MirrorProvider.open(config);
  }

  /**
   * How a mirror provider's replay stands.
   *
   * @param provider a provider
   * @return its status, empty when it is not a mirror
   */
  public static Optional<MirrorStatus> status(DbProvider provider) {
    return provider instanceof MirrorProvider mirror
        ? Optional.of(mirror.status())
        : Optional.empty();
  }

  /**
   * Waits until a mirror provider's status meets a condition, polling every 20 ms: {@code
   * MirrorStatus::caughtUp} before a switch to the mirror, say.
   *
   * @param provider a mirror provider
   * @param condition what the status must meet
   * @param timeout how long to wait at most
   * @return the status that met it
   * @throws DbConfigException when the provider is not a mirror
   * @throws DbTimeoutException when the condition is not met in time; the message holds the last
   *     status
   * @throws InterruptedException when the waiting thread is interrupted
   */
  public static MirrorStatus await(
      DbProvider provider, Predicate<MirrorStatus> condition, Duration timeout)
      throws InterruptedException {
    if (!(provider instanceof MirrorProvider mirror)) {
      throw new DbConfigException("not a mirror provider: " + provider.backend());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    MirrorStatus status = mirror.status();
    while (!condition.test(status)) {
      if (System.nanoTime() - deadline >= 0) {
        throw new DbTimeoutException(
            "the mirror did not reach the awaited state within " + timeout + ": " + status,
            null,
            null);
      }
      Thread.sleep(20);
      status = mirror.status();
    }
    return status;
  }
}
