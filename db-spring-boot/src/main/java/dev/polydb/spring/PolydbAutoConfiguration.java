package dev.polydb.spring;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbMetrics;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Gives a Spring Boot application a {@link DbProvider} bean, closed with the context.
 *
 * <p>Where the database comes from, first match wins:
 *
 * <ol>
 *   <li>{@code DATABASE_URL}, from any of Spring's property sources (the environment, system
 *       properties, {@code application.properties});
 *   <li>the application's own {@link DataSource} bean, which the provider uses and never closes
 *       (PostgreSQL);
 *   <li>the default SQLite file, as {@link DbProviders#fromEnv()} would open.
 * </ol>
 *
 * <p>Every other setting is read by the same names as {@link DbConfig#fromEnv()} reads them ({@code
 * DB_VECTOR_DIMENSION}, {@code ENABLE_MUTATIONS}, …), again from any property source. An
 * application that defines its own {@link DbConfig} or {@link DbProvider} bean replaces the one
 * made here; {@code polydb.enabled=false} switches all of it off.
 *
 * <p>With Micrometer and {@code db-micrometer} on the class path and a {@link MeterRegistry} bean,
 * the provider's operations, pool and events are measured into that registry. With Spring Boot
 * Actuator, a health indicator named {@code polydb} reports the provider's {@link
 * DbProvider#health()}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"
    })
@ConditionalOnClass(DbProvider.class)
@ConditionalOnProperty(prefix = "polydb", name = "enabled", matchIfMissing = true)
public class PolydbAutoConfiguration {

  /** The property that names the database, as in {@link DbConfig#fromEnv()}. */
  static final String DATABASE_URL = "DATABASE_URL";

  /** Creates the auto-configuration; Spring calls it. */
  public PolydbAutoConfiguration() {}

  /**
   * The configuration, read from Spring's environment by the variables' own names.
   *
   * @param environment where the settings are read
   * @param metrics the metrics binding, when there is one
   * @return the configuration
   */
  @Bean
  @ConditionalOnMissingBean
  public DbConfig polydbConfig(Environment environment, ObjectProvider<DbMetrics> metrics) {
    DbConfig.Builder builder = DbConfig.builder().fromLookup(environment::getProperty);
    metrics.ifUnique(builder::metrics);
    return builder.build();
  }

  /**
   * The provider: on {@code DATABASE_URL} when it is set, else on the application's {@link
   * DataSource} when it has exactly one, else on the default SQLite file.
   *
   * @param config the configuration
   * @param environment where {@code DATABASE_URL} is looked for
   * @param dataSource the application's pool, if any
   * @return the open provider
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public DbProvider polydbProvider(
      DbConfig config, Environment environment, ObjectProvider<DataSource> dataSource) {
    String url = environment.getProperty(DATABASE_URL);
    if (url == null || url.isBlank()) {
      DataSource pool = dataSource.getIfUnique();
      if (pool != null) {
        return DbProviders.open(pool, config);
      }
    }
    return DbProviders.open(config);
  }

  /** Binds the provider's metrics to the application's registry. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({MeterRegistry.class, MicrometerMetrics.class})
  @ConditionalOnBean(MeterRegistry.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    DbMetrics polydbMetrics(MeterRegistry registry) {
      return new MicrometerMetrics(registry);
    }
  }

  /** Reports the provider's health to Actuator as {@code polydb}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "polydbHealthIndicator")
    PolydbHealthIndicator polydbHealthIndicator(DbProvider provider) {
      return new PolydbHealthIndicator(provider);
    }
  }
}
