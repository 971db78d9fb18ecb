package dev.polydb.micrometer;

import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.polydb.api.DbMetrics;
import dev.polydb.api.PoolStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The library's metrics in a Micrometer registry. Set it on the configuration: {@code
 * DbConfig.builder().metrics(new MicrometerMetrics(registry))}.
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@code polydb.operation}</td><td>timer</td><td>backend, operation ({@code
 *       users.findById}, …, {@code inTransaction}), outcome ({@code success}, {@code not_found},
 *       {@code conflict}, {@code invalid}, {@code read_only}, {@code quota_exceeded}, {@code
 *       timeout}, {@code transient}, {@code error})</td></tr>
 *   <tr><td>{@code polydb.pool.active}, {@code .idle}, {@code .pending}, {@code .total}, {@code
 *       .max}</td><td>gauges</td><td>backend, pool; on SQLite, pending counts the writers queued
 *       for the file too</td></tr>
 *   <tr><td>{@code polydb.refresh_tokens.reuse_detected}</td><td>counter</td><td>backend</td></tr>
 *   <tr><td>{@code polydb.subscriptions.expiry_sweeps}, {@code
 *       polydb.subscriptions.expired}</td><td>counters</td><td>backend</td></tr>
 *   <tr><td>{@code polydb.jtis.cache}</td><td>counter</td><td>backend, result ({@code hit},
 *       {@code miss})</td></tr>
 *   <tr><td>{@code hikaricp.connections…}</td><td>HikariCP's own</td><td>pool</td></tr>
 * </table>
 *
 * <p>Tags hold names the library chose, never a URL, a password or a row value.
 */
public final class MicrometerMetrics implements DbMetrics {
  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, List<Meter>> pools = new ConcurrentHashMap<>();

  /**
   * Binds to a registry.
   *
   * @param registry where the meters go
   */
  public MicrometerMetrics(MeterRegistry registry) {
    if (registry == null) {
      throw new IllegalArgumentException("registry must not be null");
    }
    this.registry = registry;
  }

  @Override
  public void operation(String backend, String operation, Outcome outcome, Duration duration) {
    timers
        .computeIfAbsent(
            backend + '\0' + operation + '\0' + outcome.ordinal(),
            k ->
                Timer.builder("polydb.operation")
                    .description("calls of the library's areas")
                    .tag("backend", backend)
                    .tag("operation", operation)
                    .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                    .register(registry))
        .record(duration);
  }

  @Override
  public void poolOpened(String backend, String pool, Supplier<PoolStats> stats) {
    List<Meter> meters = new ArrayList<>();
    meters.add(gauge("polydb.pool.active", backend, pool, stats, PoolStats::active));
    meters.add(gauge("polydb.pool.idle", backend, pool, stats, PoolStats::idle));
    meters.add(gauge("polydb.pool.pending", backend, pool, stats, PoolStats::pending));
    meters.add(gauge("polydb.pool.total", backend, pool, stats, PoolStats::total));
    meters.add(gauge("polydb.pool.max", backend, pool, stats, PoolStats::max));
    pools.put(pool, meters);
  }

  private Meter gauge(
      String name,
      String backend,
      String pool,
      Supplier<PoolStats> stats,
      ToDoubleFunction<PoolStats> figure) {
    return Gauge.builder(name, stats, s -> figure.applyAsDouble(s.get()))
        .tag("backend", backend)
        .tag("pool", pool)
        // Micrometer holds a gauge's object weakly by default, and nothing else may hold the
        // supplier: a collection would turn the gauge into NaN. poolClosed removes it.
        .strongReference(true)
        .register(registry);
  }

  @Override
  public void poolClosed(String backend, String pool) {
    List<Meter> meters = pools.remove(pool);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
  }

  @Override
  public void reuseDetected(String backend) {
    counter("polydb.refresh_tokens.reuse_detected", backend, null).increment();
  }

  @Override
  public void expirySweep(String backend, int expired) {
    counter("polydb.subscriptions.expiry_sweeps", backend, null).increment();
    counter("polydb.subscriptions.expired", backend, null).increment(expired);
  }

  @Override
  public void jtiCache(String backend, boolean hit) {
    counter("polydb.jtis.cache", backend, hit ? "hit" : "miss").increment();
  }

  private Counter counter(String name, String backend, String result) {
    return counters.computeIfAbsent(
        name + '\0' + backend + '\0' + result,
        k -> {
          Counter.Builder b = Counter.builder(name).tag("backend", backend);
          if (result != null) {
            b.tag("result", result);
          }
          return b.register(registry);
        });
  }

  /** Offers HikariCP's own Micrometer tracker to the backends' pools. */
  @Override
  public <T> Optional<T> extension(Class<T> type) {
    if (type == MetricsTrackerFactory.class) {
      return Optional.of(type.cast(new MicrometerMetricsTrackerFactory(registry)));
    }
    return Optional.empty();
  }
}
