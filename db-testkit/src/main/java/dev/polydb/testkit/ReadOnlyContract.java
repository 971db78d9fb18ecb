package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.polydb.api.Chunk;
import dev.polydb.api.ChunkMatch;
import dev.polydb.api.DbConfig;
import dev.polydb.api.DbConfigException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbProviders;
import dev.polydb.api.DbReadOnlyException;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.SubscriptionEvent;
import dev.polydb.api.User;
import dev.polydb.api.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §3 and §10: a provider with mutations disabled. */
public abstract class ReadOnlyContract {

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  private static final Instant FAR_FUTURE = DbProviderContract.START.plus(Duration.ofDays(3650));

  /**
   * Writes a sample through the test's provider, closes it (so the test needs no shared database)
   * and opens a provider with mutations disabled on the same database.
   */
  private ReadOnlySample sample;

  private DbProvider readOnly() {
    sample = ReadOnlySample.write(fixture().db(), "ro", fixture().supports(Feature.VECTOR_SEARCH));
    fixture().db().close();
    return fixture().open(b -> b.mutationsEnabled(false));
  }

  @Test
  void everyUsersWriteIsRefusedAndNothingChanges() {
    DbProvider ro = readOnly();
    String id = sample.user().id();

    assertReadOnly(
        () -> ro.users().upsert("google", "sub-ro", UserProfile.of("new@x", null, null)));
    assertReadOnly(() -> ro.users().upsert("google", "brand-new", UserProfile.EMPTY));
    assertReadOnly(() -> ro.users().create("google", "brand-new", UserProfile.EMPTY));
    assertReadOnly(() -> ro.users().delete(id));
    assertReadOnly(() -> ro.users().delete("no-such-user"));

    assertThat(ro.users().findById(id)).contains(sample.user());
    assertThat(ro.users().findByProvider("google", "brand-new")).isEmpty();
  }

  @Test
  void everyRefreshTokenWriteIsRefusedAndNothingChanges() {
    DbProvider ro = readOnly();
    String id = sample.user().id();
    String token = sample.token().token();

    assertReadOnly(() -> ro.refreshTokens().issue(id));
    assertReadOnly(() -> ro.refreshTokens().issue("no-such-user", Duration.ofHours(1), "fp"));
    assertReadOnly(() -> ro.refreshTokens().rotate(token, id));
    assertReadOnly(() -> ro.refreshTokens().revoke(token));
    assertReadOnly(() -> ro.refreshTokens().revokeAllForUser(id));
    assertReadOnly(() -> ro.refreshTokens().pruneExpired(FAR_FUTURE, 100));

    assertThat(ro.refreshTokens().findValid(token)).contains(sample.token().record());
  }

  @Test
  void everySubscriptionWriteIsRefusedAndNothingChanges() {
    DbProvider ro = readOnly();
    String id = sample.user().id();
    List<SubscriptionEvent> events = sample.events(ro);

    assertReadOnly(() -> ro.subscriptions().upsertActive(ReadOnlySample.change(id, "ro", "evt-2")));
    assertReadOnly(() -> ro.subscriptions().upsertActive(ReadOnlySample.change(id, "other", "e3")));
    assertReadOnly(() -> ro.subscriptions().runExpirySweep(FAR_FUTURE));

    assertThat(ro.subscriptions().findActive(id)).contains(sample.subscription());
    assertThat(sample.events(ro)).hasSize(1).isEqualTo(events);
    assertThat(ro.subscriptions().listEvents(ReadOnlySample.BILLING, "sub-other")).isEmpty();
  }

  @Test
  void everyJournalWriteIsRefusedAndNothingChanges() {
    DbProvider ro = readOnly();
    String id = sample.user().id();
    JournalEntry entry = sample.entry();
    long bytes = ro.journal().totalBytes(id);

    assertReadOnly(() -> ro.journal().insert(id, "new"));
    assertReadOnly(() -> ro.journal().insert(id, "entry-new", "new"));
    assertReadOnly(() -> ro.journal().insert(id, entry.id(), entry.content()));
    assertReadOnly(() -> ro.journal().update(id, entry.id(), "changed"));
    assertReadOnly(() -> ro.journal().delete(id, entry.id()));
    assertReadOnly(() -> ro.journal().delete(id, "no-such-entry"));

    assertThat(ro.journal().list(id, 10, 0)).containsExactly(entry);
    assertThat(ro.journal().totalBytes(id)).isEqualTo(bytes).isEqualTo(entry.contentBytes());
  }

  @Test
  void everyJwtIdAndVectorWriteIsRefusedAndNothingChanges() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider ro = readOnly();
    String id = sample.user().id();
    List<ChunkMatch> before = sample.search(ro);
    Chunk other =
        Chunk.of(
            "chunk-new",
            id,
            "doc-new",
            0,
            "new",
            Map.of(),
            new float[] {0f, 1f, 0f, 0f},
            ReadOnlySample.MODEL);

    assertReadOnly(() -> ro.jtis().revoke("jti-new", id, FAR_FUTURE));
    assertReadOnly(() -> ro.jtis().revoke("jti-anonymous", null, FAR_FUTURE));
    assertReadOnly(() -> ro.jtis().pruneExpired(FAR_FUTURE));
    assertReadOnly(() -> ro.vectors().upsert(List.of(other)));
    assertReadOnly(() -> ro.vectors().upsert(List.of()));
    assertReadOnly(() -> ro.vectors().deleteByDocument(id, sample.chunk().documentId()));
    assertReadOnly(() -> ro.vectors().deleteByUser(id));

    assertThat(ro.jtis().isRevoked("jti-new")).isFalse();
    assertThat(ro.jtis().isRevoked("jti-anonymous")).isFalse();
    assertThat(ro.jtis().isRevoked(sample.jti())).isTrue();
    assertThat(sample.search(ro)).isEqualTo(before).hasSize(1);
  }

  @Test
  void writesInsideATransactionAreRefusedToo() {
    DbProvider ro = readOnly();
    String id = sample.user().id();

    assertThatThrownBy(() -> ro.inTransaction(tx -> tx.journal().insert(id, "in a transaction")))
        .isInstanceOf(DbReadOnlyException.class);
    Optional<User> read = ro.inTransaction(tx -> tx.users().findById(id));
    assertThat(read).contains(sample.user());
    assertThat(ro.journal().list(id, 10, 0)).containsExactly(sample.entry());
  }

  @Test
  void everyReadWorks() {
    assumeTrue(fixture().supports(Feature.VECTOR_SEARCH), "needs vector search");
    DbProvider ro = readOnly();
    String id = sample.user().id();

    assertThat(ro.users().findById(id)).contains(sample.user());
    assertThat(ro.users().findByProvider("google", "sub-ro")).contains(sample.user());
    assertThat(ro.refreshTokens().findValid(sample.token().token()))
        .contains(sample.token().record());
    assertThat(ro.subscriptions().findActive(id)).contains(sample.subscription());
    assertThat(ro.subscriptions().findLatest(id)).contains(sample.subscription());
    assertThat(ro.subscriptions().findByExternalId(ReadOnlySample.BILLING, "sub-ro"))
        .contains(sample.subscription());
    assertThat(sample.events(ro))
        .singleElement()
        .satisfies(e -> assertThat(e.providerEventId()).isEqualTo("evt-ro"));
    assertThat(ro.journal().findById(id, sample.entry().id())).contains(sample.entry());
    assertThat(ro.journal().list(id, 10, 0)).containsExactly(sample.entry());
    assertThat(ro.journal().listBefore(id, null, 10).entries()).containsExactly(sample.entry());
    assertThat(ro.journal().totalBytes(id)).isEqualTo(sample.entry().contentBytes());
    assertThat(ro.jtis().isRevoked(sample.jti())).isTrue();
    assertThat(ro.jtis().isRevoked("jti-never")).isFalse();
    assertThat(sample.search(ro))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.chunk().id()).isEqualTo(sample.chunk().id());
              assertThat(m.chunk().text()).isEqualTo(sample.chunk().text());
              assertThat(m.distance()).isCloseTo(0.0, offset(1e-6));
            });
    assertThat(ro.vectors().settings().dimension()).isEqualTo(DbProviderContract.DIMENSION);
  }

  @Test
  void healthAndConfigReportReadOnlyAndNoMigration() {
    assertReadOnlyState(readOnly());

    // asking for a migration does not turn it on
    assertReadOnlyState(fixture().open(b -> b.mutationsEnabled(false).migrateOnOpen(true)));
  }

  private static void assertReadOnlyState(DbProvider p) {
    try (p) {
      assertThat(p.health().readOnly()).isTrue();
      assertThat(p.health().reachable()).isTrue();
      assertThat(p.health().schemaVersion()).isPresent();
      assertThat(p.config().mutationsEnabled()).isFalse();
      assertThat(p.config().migrateOnOpen()).isFalse();
    }
  }

  @Test
  void refusesToOpenOnAnUnmigratedDatabaseNamingTheMigrateCommand() {
    assumeTrue(
        fixture().supports(Feature.UNMIGRATED_DATABASE),
        "the backend cannot open an unmigrated database read-only");
    DbConfig config =
        fixture().config(fixture().newUnmigratedUrl()).mutationsEnabled(false).build();

    // a command a user can run: no call into an internal module
    assertThatThrownBy(() -> DbProviders.open(config).close())
        .isInstanceOf(DbConfigException.class)
        .hasMessageContaining("migrate")
        .hasMessageContaining("ENABLE_MUTATIONS=true")
        .hasMessageNotContaining("Migrations.");
  }

  private static void assertReadOnly(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(DbReadOnlyException.class);
  }
}
