package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DistanceMetric;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import dev.polydb.api.VectorSettings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** §10 migrations: versions, concurrent migrate, health of the schema. */
public abstract class MigrationsContract {

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  @Test
  void aFreshDatabaseOpenedWithDefaultsIsMigrated() {
    DbProvider fresh = fixture().openFresh(b -> {});

    Optional<String> version = fresh.health().schemaVersion();

    assertThat(version).hasValueSatisfying(v -> assertThat(v).isNotBlank());
    assertThat(version).isEqualTo(fixture().db().health().schemaVersion());
    User user = fresh.users().create("google", "fresh", UserProfile.EMPTY);
    assertThat(fresh.journal().insert(user.id(), "works").content()).isEqualTo("works");
  }

  @Test
  void reopeningAMigratedDatabaseKeepsItsVersionAndData() {
    DbProvider db = fixture().db();
    User user = db.users().create("google", "reopen", UserProfile.of("a@x.test", "A", null));
    JournalEntry entry = db.journal().insert(user.id(), "kept across reopening");
    Optional<String> version = db.health().schemaVersion();
    db.close();

    DbProvider again = fixture().open(b -> {});

    assertThat(again.health().schemaVersion()).isPresent().isEqualTo(version);
    assertThat(again.users().findById(user.id())).contains(user);
    assertThat(again.journal().list(user.id(), 10, 0)).containsExactly(entry);
    again.close();

    DbProvider third = fixture().open(b -> {});
    assertThat(third.health().schemaVersion()).isEqualTo(version);
    assertThat(third.users().findByProvider("google", "reopen")).contains(user);
  }

  @Test
  void concurrentFirstOpensMigrateOnceAndAgree() throws Exception {
    assumeTrue(
        fixture().supports(Feature.SHARED_DATABASE),
        "the backend cannot open one database from several providers");
    String url = fixture().newUnmigratedUrl();
    DbConfig config = fixture().config(url).build();
    int n = 4;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch ready = new CountDownLatch(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<DbProvider>> futures = new ArrayList<>();
    List<DbProvider> opened = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        futures.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  go.await();
                  return DbProviders.open(config);
                }));
      }
      assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
      go.countDown();
      for (Future<DbProvider> f : futures) {
        opened.add(f.get(60, TimeUnit.SECONDS));
      }

      Set<Optional<String>> versions = new HashSet<>();
      for (DbProvider p : opened) {
        versions.add(p.health().schemaVersion());
      }
      assertThat(versions).containsExactly(fixture().db().health().schemaVersion());

      User user = opened.get(0).users().create("google", "after-race", UserProfile.EMPTY);
      opened.get(1).journal().insert(user.id(), "written through another provider");
      for (DbProvider p : opened) {
        assertThat(p.users().findById(user.id())).contains(user);
        assertThat(p.journal().list(user.id(), 10, 0)).hasSize(1);
      }
    } finally {
      pool.shutdownNow();
      for (Future<DbProvider> f : futures) {
        if (f.isDone() && !f.isCancelled()) {
          try {
            f.get().close();
          } catch (Exception ignored) {
            // the open itself failed; its failure is reported above
          }
        }
      }
    }
  }

  @Test
  void withoutMigrateOnOpenAnUnmigratedDatabaseFailsAndStaysUsableForALaterMigration() {
    String url = fixture().newUnmigratedUrl();
    DbConfig noMigration = fixture().config(url).migrateOnOpen(false).build();

    // Either the open refuses or the first call fails; both are DbExceptions. On SQLite the open
    // itself throws DbConfigException ("database schema is behind ... migrate it first: ...").
    assertThatThrownBy(
            () -> {
              try (DbProvider p = DbProviders.open(noMigration)) {
                p.users().create("google", "too-early", UserProfile.EMPTY);
              }
            })
        .isInstanceOf(DbException.class);

    try (DbProvider migrated = DbProviders.open(fixture().config(url).build())) {
      assertThat(migrated.health().schemaVersion())
          .isEqualTo(fixture().db().health().schemaVersion());
      User user = migrated.users().create("google", "after-migration", UserProfile.EMPTY);
      assertThat(migrated.users().findById(user.id())).contains(user);
      assertThat(migrated.users().findByProvider("google", "too-early")).isEmpty();
    }
  }

  @Test
  void reopeningWithAnotherDimensionOrMetricIsRefusedNamingBothValues() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider db = fixture().db();
    String id = db.users().create("google", "vectors", UserProfile.EMPTY).id();
    db.close();

    assertThatThrownBy(() -> fixture().open(b -> b.vectorDimension(8)))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("dimension")
        .hasMessageContaining("8")
        .hasMessageContaining("DB_VECTOR_DIMENSION=" + DbProviderContract.DIMENSION);
    assertThatThrownBy(() -> fixture().open(b -> b.vectorMetric(DistanceMetric.L2)))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("metric")
        .hasMessageContaining("l2")
        .hasMessageContaining("DB_VECTOR_METRIC=cosine");
    assertThatThrownBy(() -> fixture().open(b -> b.vectorDimension(8).mutationsEnabled(false)))
        .as("a read-only provider is held to the same settings")
        .isInstanceOf(DbConfigException.class);

    DbProvider same = fixture().open(b -> {});
    assertThat(same.users().findById(id)).as("the refusals changed nothing").isPresent();
    assertThat(same.vectors().settings())
        .isEqualTo(
            new VectorSettings(
                DbProviderContract.DIMENSION, DistanceMetric.COSINE, Optional.empty()));
  }

  @Test
  void reopeningWithAnotherModelIsRefusedAndALaterConfiguredOneIsRecorded() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider fresh =
        fixture().openFresh(b -> b.vectorMetric(DistanceMetric.L2).embeddingModel("model-a"));
    String url = fresh.config().url();
    assertThat(fresh.vectors().settings())
        .isEqualTo(
            new VectorSettings(
                DbProviderContract.DIMENSION, DistanceMetric.L2, Optional.of("model-a")));
    fresh.close();

    assertThatThrownBy(
            () ->
                DbProviders.open(
                    fixture()
                        .config(url)
                        .vectorMetric(DistanceMetric.L2)
                        .embeddingModel("model-b")
                        .build()))
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("model-b")
        .hasMessageContaining("DB_EMBEDDING_MODEL=model-a");
    try (DbProvider reopened =
        DbProviders.open(fixture().config(url).vectorMetric(DistanceMetric.L2).build())) {
      assertThat(reopened.vectors().settings().model())
          .as("no model configured: the recorded one applies")
          .contains("model-a");
    }

    DbProvider noModel = fixture().db();
    assertThat(noModel.vectors().settings().model()).isEmpty();
    noModel.close();
    DbProvider withModel = fixture().open(b -> b.embeddingModel("model-c"));
    assertThat(withModel.vectors().settings().model())
        .as("configured after the first migration, before any chunk")
        .contains("model-c");
  }
}
