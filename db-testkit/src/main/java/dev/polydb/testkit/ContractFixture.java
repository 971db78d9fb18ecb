package dev.polydb.testkit;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbProvider;
import java.util.function.Consumer;

/** What a contract test works with: one fresh database per test, a movable clock, and helpers. */
public interface ContractFixture {

  /**
   * The provider opened on this test's fresh database with the suite's defaults.
   *
   * @return the provider
   */
  DbProvider db();

  /**
   * The clock every provider of this test reads.
   *
   * @return the clock
   */
  TestClock clock();

  /**
   * The URL of this test's database.
   *
   * @return the URL
   */
  String url();

  /**
   * Opens another provider on this test's database; the suite closes it after the test.
   *
   * @param customizer changes to the suite's default configuration
   * @return the provider
   */
  DbProvider open(Consumer<DbConfig.Builder> customizer);

  /**
   * Opens a provider on a new, empty database; the suite closes and drops it after the test.
   *
   * @param customizer changes to the suite's default configuration
   * @return the provider
   */
  DbProvider openFresh(Consumer<DbConfig.Builder> customizer);

  /**
   * A URL for a new database that nothing has migrated yet.
   *
   * @return the URL
   */
  String newUnmigratedUrl();

  /**
   * The suite's default configuration for a URL: the test clock, vector dimension {@value
   * DbProviderContract#DIMENSION}, everything else at the library's defaults.
   *
   * @param url the database URL
   * @return a builder to change further
   */
  DbConfig.Builder config(String url);

  /**
   * Whether the backend supports a feature; tests that need one it lacks are skipped.
   *
   * @param feature the feature
   * @return {@code true} when supported
   */
  boolean supports(Feature feature);
}
