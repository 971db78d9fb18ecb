package dev.polydb.spring;

import dev.polydb.api.DbProvider;
import dev.polydb.api.PoolStats;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * A {@link HealthIndicator} on {@link DbProvider#health()}: {@code UP} when the database answers,
 * {@code DOWN} when it does not, with the backend, the round trip, the schema version, whether it
 * is read-only, the pool's figures and, when something is wrong, the problem. None of these carries
 * a secret or a row value.
 */
public final class PolydbHealthIndicator extends AbstractHealthIndicator {
  private final DbProvider provider;

  /**
   * Reports on a provider.
   *
   * @param provider the provider whose health is reported
   */
  public PolydbHealthIndicator(DbProvider provider) {
    super("polydb health check failed");
    this.provider = provider;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    dev.polydb.api.Health health = provider.health();
    if (health.reachable()) {
      builder.up();
    } else {
      builder.down();
    }
    PoolStats pool = health.pool();
    builder
        .withDetail("backend", health.backend())
        .withDetail("latencyMillis", health.latency().toMillis())
        .withDetail("readOnly", health.readOnly())
        .withDetail("pool", pool);
    health.schemaVersion().ifPresent(v -> builder.withDetail("schemaVersion", v));
    health.problem().ifPresent(p -> builder.withDetail("problem", p));
  }
}
