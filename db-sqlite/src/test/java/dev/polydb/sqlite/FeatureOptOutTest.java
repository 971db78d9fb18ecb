package dev.polydb.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;
import static org.junit.platform.testkit.engine.EventConditions.abortedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.polydb.testkit.DbProviderContract;
import dev.polydb.testkit.Feature;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The suite's skip path, exercised: a backend that declares a feature unsupported gets the tests
 * that need it skipped with the reason, never passed, and the rest run. SQLite stands in for a
 * backend without vector search; the suite is run through JUnit's own engine.
 */
class FeatureOptOutTest {

  /**
   * The suite on SQLite, declaring vector search unsupported. Not run by itself (no Test suffix).
   */
  static class WithoutVectorSearch extends DbProviderContract {
    @TempDir Path dir;

    @Override
    protected String newDatabaseUrl() {
      return "sqlite:" + dir.resolve(UUID.randomUUID() + ".db");
    }

    @Override
    protected Set<Feature> unsupportedFeatures() {
      return EnumSet.of(Feature.VECTOR_SEARCH);
    }
  }

  private static Events run(String nested) {
    return EngineTestKit.engine("junit-jupiter")
        .selectors(selectNestedClass(List.of(WithoutVectorSearch.class), nestedClass(nested)))
        .execute()
        .testEvents();
  }

  private static Class<?> nestedClass(String name) {
    for (Class<?> c : DbProviderContract.class.getDeclaredClasses()) {
      if (c.getSimpleName().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no nested area " + name);
  }

  @Test
  void theVectorStoreAreaIsSkippedWithItsReasonAndNothingPasses() {
    Events events = run("VectorStore");

    assertThat(events.started().count()).isGreaterThan(20);
    assertThat(events.succeeded().count()).isZero();
    assertThat(events.failed().count()).isZero();
    events
        .aborted()
        .assertThatEvents()
        .haveExactly(
            (int) events.started().count(),
            event(test(), abortedWithReason(message(m -> m.contains("no vector search")))));
  }

  @Test
  void otherAreasSkipOnlyTheTestsThatTouchVectors() {
    Events users = run("Users");
    assertThat(users.failed().count()).isZero();
    assertThat(users.aborted().count()).as("the delete cascade writes chunks").isOne();
    assertThat(users.succeeded().count()).isGreaterThan(10);

    Events journal = run("Journal");
    assertThat(journal.failed().count()).isZero();
    assertThat(journal.aborted().count()).isZero();
    assertThat(journal.succeeded().count()).isEqualTo(journal.started().count()).isPositive();
  }
}
