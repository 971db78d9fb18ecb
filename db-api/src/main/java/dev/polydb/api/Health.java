package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Duration;
import java.util.Optional;

/**
 * A provider's health at one instant, from {@link DbProvider#health()}.
 *
 * @param backend the backend's name, e.g. {@code sqlite}
 * @param reachable whether a round trip to the database succeeded
 * @param latency how long that round trip took
 * @param schemaVersion the applied schema version, empty when unknown or unreachable
 * @param readOnly whether writes are refused: mutations are disabled, or the database allows none
 *     (a read-only file or mount, a read-only session or standby, a role without write grants)
 * @param pool the connection pool's figures
 * @param problem what failed when not reachable, empty otherwise; never holds a secret
 */
public record Health(
    String backend,
    boolean reachable,
    Duration latency,
    Optional<String> schemaVersion,
    boolean readOnly,
    PoolStats pool,
    Optional<String> problem) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a field is missing
   */
  public Health {
    Check.nonBlank("backend", backend);
    Check.notNull("latency", latency);
    Check.notNull("schemaVersion", schemaVersion);
    Check.notNull("pool", pool);
    Check.notNull("problem", problem);
  }
}
