package dev.polydb.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbProvider;
import dev.polydb.api.DbQuotaExceededException;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.Journal;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.JournalPage;
import dev.polydb.api.UserProfile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** §7 journal entries: writes, ownership, paging, byte totals, quota, round trips. */
public abstract class JournalContract {

  private static final Instant START = DbProviderContract.START;
  private static final String UUID_PATTERN =
      "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
  private static final String MISSING_USER = "01900000-0000-7000-8000-000000000000";
  private static final String MISSING_ENTRY = "01900000-0000-7000-8000-0000000000ff";
  private static final Comparator<JournalEntry> NEWEST_FIRST =
      Comparator.comparing(JournalEntry::createdAt).thenComparing(JournalEntry::id).reversed();

  /**
   * The fixture of the running test.
   *
   * @return the fixture
   */
  protected abstract ContractFixture fixture();

  private Journal journal() {
    return fixture().db().journal();
  }

  private String newUser(String subject) {
    return newUser(fixture().db(), subject);
  }

  private static String newUser(DbProvider db, String subject) {
    return db.users().create("google", subject, UserProfile.EMPTY).id();
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static void assertValidation(String field, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo(field));
  }

  /** Inserts {@code n} entries, one second apart, and returns them newest first. */
  private List<JournalEntry> insertSpaced(String user, int n) {
    List<JournalEntry> entries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      entries.add(journal().insert(user, "entry " + i));
      fixture().clock().advance(Duration.ofSeconds(1));
    }
    entries.sort(NEWEST_FIRST);
    return entries;
  }

  private List<String> ids(List<JournalEntry> entries) {
    return entries.stream().map(JournalEntry::id).toList();
  }

  @Test
  void insertAndFindById() {
    String user = newUser("alice");
    fixture().clock().set(START.plusNanos(7_654_321));

    JournalEntry e = journal().insert(user, "dear diary");

    assertThat(e.id()).matches(UUID_PATTERN);
    assertThat(e.userId()).isEqualTo(user);
    assertThat(e.content()).isEqualTo("dear diary");
    assertThat(e.contentBytes()).isEqualTo(10);
    assertThat(e.createdAt()).isEqualTo(START.plusMillis(7));
    assertThat(e.updatedAt()).isEqualTo(START.plusMillis(7));
    assertThat(journal().findById(user, e.id())).contains(e);
    assertThat(journal().findById(user, MISSING_ENTRY)).isEmpty();
    assertThat(journal().list(user, 10, 0)).containsExactly(e);
  }

  @Test
  void emptyContentIsAllowed() {
    String user = newUser("alice");

    JournalEntry e = journal().insert(user, "");

    assertThat(e.content()).isEmpty();
    assertThat(e.contentBytes()).isZero();
    assertThat(journal().findById(user, e.id())).contains(e);
    assertThat(journal().totalBytes(user)).isZero();
  }

  @Test
  void listIsNewestFirst() {
    String user = newUser("alice");
    List<JournalEntry> inserted = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      inserted.add(journal().insert(user, "entry " + i));
      fixture().clock().advance(Duration.ofSeconds(1));
    }

    assertThat(journal().list(user, 10, 0))
        .containsExactly(inserted.get(3), inserted.get(2), inserted.get(1), inserted.get(0));
  }

  @Test
  void entriesAtTheSameInstantAreOrderedByIdDescending() {
    String user = newUser("alice");
    List<JournalEntry> inserted = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inserted.add(journal().insert(user, "same instant " + i));
    }
    fixture().clock().advance(Duration.ofMillis(1));
    for (int i = 0; i < 3; i++) {
      inserted.add(journal().insert(user, "next instant " + i));
    }
    List<JournalEntry> expected = new ArrayList<>(inserted);
    expected.sort(NEWEST_FIRST);

    List<JournalEntry> first = journal().list(user, 100, 0);
    assertThat(first).containsExactlyElementsOf(expected);
    assertThat(journal().list(user, 100, 0)).containsExactlyElementsOf(first);
    assertThat(journal().list(user, 100, 0)).containsExactlyElementsOf(first);
    // paging with offsets follows the same order
    List<JournalEntry> paged = new ArrayList<>();
    for (int offset = 0; offset < expected.size(); offset += 2) {
      paged.addAll(journal().list(user, 2, offset));
    }
    assertThat(paged).containsExactlyElementsOf(expected);
  }

  @Test
  void limitAndOffsetPage() {
    String user = newUser("alice");
    List<JournalEntry> all = insertSpaced(user, 7);

    assertThat(journal().list(user, 3, 0)).containsExactlyElementsOf(all.subList(0, 3));
    assertThat(journal().list(user, 3, 3)).containsExactlyElementsOf(all.subList(3, 6));
    assertThat(journal().list(user, 3, 6)).containsExactlyElementsOf(all.subList(6, 7));
    assertThat(journal().list(user, 3, 7)).isEmpty();
    assertThat(journal().list(user, 1000, 100)).isEmpty();
    assertThat(journal().list(user, 1, 0)).containsExactly(all.get(0));
    assertThat(journal().list(user, 1000, 0)).containsExactlyElementsOf(all);
  }

  @Test
  void invalidLimitOrOffsetIsRefused() {
    String user = newUser("alice");
    journal().insert(user, "x");

    assertValidation("limit", () -> journal().list(user, 0, 0));
    assertValidation("limit", () -> journal().list(user, 1001, 0));
    assertValidation("limit", () -> journal().list(user, -1, 0));
    assertValidation("offset", () -> journal().list(user, 10, -1));
    assertValidation("limit", () -> journal().listBefore(user, null, 0));
    assertValidation("limit", () -> journal().listBefore(user, null, 1001));
    assertThat(journal().listBefore(user, null, 1000).entries()).hasSize(1);
  }

  @Test
  void keysetPagingVisitsEveryEntryOnceWhileOthersAreInserted() {
    String user = newUser("alice");
    List<JournalEntry> existing = insertSpaced(user, 10);

    List<JournalEntry> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JournalPage page = journal().listBefore(user, cursor, 3);
      seen.addAll(page.entries());
      cursor = page.nextCursor().orElse(null);
      pages++;
      // a newer entry arrives between pages
      fixture().clock().advance(Duration.ofSeconds(1));
      journal().insert(user, "arrived during paging " + pages);
    } while (cursor != null && pages < 20);

    assertThat(pages).isEqualTo(4);
    assertThat(ids(seen)).containsExactlyElementsOf(ids(existing));
    assertThat(journal().list(user, 100, 0)).hasSize(14);
  }

  @Test
  void keysetPagingBreaksTiesAtTheSameInstant() {
    String user = newUser("alice");
    List<JournalEntry> entries = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      entries.add(journal().insert(user, "tied " + i));
    }
    entries.sort(NEWEST_FIRST);

    List<JournalEntry> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JournalPage page = journal().listBefore(user, cursor, 2);
      seen.addAll(page.entries());
      cursor = page.nextCursor().orElse(null);
      pages++;
    } while (cursor != null && pages < 20);

    assertThat(pages).isEqualTo(4);
    assertThat(seen).containsExactlyElementsOf(entries);
  }

  @Test
  void keysetPagingSurvivesDeletionOfTheCursorEntry() {
    String user = newUser("alice");
    List<JournalEntry> all = insertSpaced(user, 6);

    JournalPage first = journal().listBefore(user, null, 3);
    assertThat(first.entries()).containsExactlyElementsOf(all.subList(0, 3));
    assertThat(journal().delete(user, all.get(2).id())).isTrue();

    JournalPage second = journal().listBefore(user, first.nextCursor().orElseThrow(), 3);
    assertThat(second.entries()).containsExactlyElementsOf(all.subList(3, 6));
    assertThat(second.nextCursor()).isEmpty();
  }

  @Test
  void nextCursorIsPresentExactlyWhenOlderEntriesRemain() {
    String user = newUser("alice");
    JournalPage empty = journal().listBefore(user, null, 5);
    assertThat(empty.entries()).isEmpty();
    assertThat(empty.nextCursor()).isEmpty();

    List<JournalEntry> all = insertSpaced(user, 4);

    JournalPage whole = journal().listBefore(user, null, 4);
    assertThat(whole.entries()).containsExactlyElementsOf(all);
    assertThat(whole.nextCursor()).isEmpty();

    JournalPage first = journal().listBefore(user, null, 2);
    assertThat(first.entries()).containsExactlyElementsOf(all.subList(0, 2));
    assertThat(first.nextCursor()).isPresent();
    JournalPage last = journal().listBefore(user, first.nextCursor().orElseThrow(), 2);
    assertThat(last.entries()).containsExactlyElementsOf(all.subList(2, 4));
    assertThat(last.nextCursor()).isEmpty();
  }

  @Test
  void malformedCursorIsRefused() {
    String user = newUser("alice");
    insertSpaced(user, 3);
    String good = journal().listBefore(user, null, 1).nextCursor().orElseThrow();

    for (String bad :
        List.of(
            "not a cursor",
            "",
            " ",
            "%%%%",
            "{\"createdAt\":1}",
            good.substring(0, good.length() / 2) + "\0",
            "c".repeat(5000))) {
      assertThatThrownBy(() -> journal().listBefore(user, bad, 10))
          .as("cursor %s", bad.length() > 40 ? bad.substring(0, 40) + "…" : bad)
          .isInstanceOfSatisfying(
              DbValidationException.class, e -> assertThat(e.field()).isEqualTo("beforeCursor"));
    }
  }

  @Test
  void ownerUpdatesContentKeepingCreatedAt() {
    String user = newUser("alice");
    JournalEntry e = journal().insert(user, "first draft");
    Instant later = fixture().clock().advance(Duration.ofMinutes(5));

    JournalEntry updated = journal().update(user, e.id(), "second draft, longer").orElseThrow();

    assertThat(updated.id()).isEqualTo(e.id());
    assertThat(updated.userId()).isEqualTo(user);
    assertThat(updated.content()).isEqualTo("second draft, longer");
    assertThat(updated.contentBytes()).isEqualTo(20);
    assertThat(updated.createdAt()).isEqualTo(START);
    assertThat(updated.updatedAt()).isEqualTo(later);
    assertThat(journal().findById(user, e.id())).contains(updated);
    assertThat(journal().list(user, 10, 0)).containsExactly(updated);
    assertThat(journal().totalBytes(user)).isEqualTo(20);
  }

  @Test
  void updateByAnotherUserOrOfAMissingEntryIsEmpty() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    JournalEntry e = journal().insert(alice, "mine");
    fixture().clock().advance(Duration.ofMinutes(1));

    assertThat(journal().update(bob, e.id(), "hijacked")).isEmpty();
    assertThat(journal().update(alice, MISSING_ENTRY, "nothing")).isEmpty();
    assertThat(journal().update(MISSING_USER, e.id(), "nobody")).isEmpty();

    assertThat(journal().findById(alice, e.id())).contains(e);
    assertThat(journal().list(bob, 10, 0)).isEmpty();
    assertThat(journal().totalBytes(bob)).isZero();
  }

  @Test
  void deleteOnlyRemovesTheOwnersEntry() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    JournalEntry e = journal().insert(alice, "mine");
    JournalEntry keep = journal().insert(alice, "also mine");

    assertThat(journal().delete(bob, e.id())).isFalse();
    assertThat(journal().findById(alice, e.id())).contains(e);
    assertThat(journal().delete(alice, MISSING_ENTRY)).isFalse();

    assertThat(journal().delete(alice, e.id())).isTrue();
    assertThat(journal().findById(alice, e.id())).isEmpty();
    assertThat(journal().delete(alice, e.id())).isFalse();
    assertThat(journal().list(alice, 10, 0)).containsExactly(keep);
  }

  @Test
  void totalBytesCountsExactUtf8() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    assertThat(journal().totalBytes(alice)).isZero();
    assertThat(journal().totalBytes(MISSING_USER)).isZero();

    JournalEntry a = journal().insert(alice, "a");
    JournalEntry eAcute = journal().insert(alice, "é");
    JournalEntry euro = journal().insert(alice, "€");
    JournalEntry grin = journal().insert(alice, "😀");
    journal().insert(bob, "bob's entry is not counted for alice");

    assertThat(a.contentBytes()).isEqualTo(1);
    assertThat(eAcute.contentBytes()).isEqualTo(2);
    assertThat(euro.contentBytes()).isEqualTo(3);
    assertThat(grin.contentBytes()).isEqualTo(4);
    assertThat(journal().totalBytes(alice)).isEqualTo(10);

    journal().update(alice, grin.id(), "ab").orElseThrow();
    assertThat(journal().totalBytes(alice)).isEqualTo(8);
    assertThat(journal().delete(alice, euro.id())).isTrue();
    assertThat(journal().totalBytes(alice)).isEqualTo(5);
    JournalEntry mixed = journal().insert(alice, "a\u00e9\u20ac\uD83D\uDE00\r\n");
    assertThat(mixed.contentBytes()).isEqualTo(12);
    assertThat(journal().totalBytes(alice)).isEqualTo(17);
    assertThat(journal().totalBytes(bob)).isEqualTo(36);
  }

  @Test
  void contentRoundTripsByteForByte() {
    String user = newUser("alice");
    List<String> samples =
        List.of(
            "😀👍🏽🇩🇪",
            "e\u0301 and \u00e9 stay different",
            "שלום עולם",
            "مرحبا بالعالم",
            "mixed: hello שלום مرحبا 123",
            "👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag",
            "line one\r\nline two\r\n",
            "\ttabs\tand  spaces  ",
            "\uFEFFbyte order mark and \u200B zero width space",
            "quotes ' \" \\ backslash %_ like wildcards",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP, \uD834\uDD1E G clef");
    List<JournalEntry> inserted = new ArrayList<>();
    for (String s : samples) {
      JournalEntry e = journal().insert(user, s);
      inserted.add(e);
      assertThat(e.content()).isEqualTo(s);
      assertThat(e.contentBytes()).isEqualTo(utf8(s));
      JournalEntry read = journal().findById(user, e.id()).orElseThrow();
      assertThat(read.content().getBytes(StandardCharsets.UTF_8))
          .as("bytes of %s", s)
          .isEqualTo(s.getBytes(StandardCharsets.UTF_8));
      assertThat(read).isEqualTo(e);
    }
    assertThat(journal().findById(user, inserted.get(1).id()).orElseThrow().content())
        .startsWith("e\u0301 ");
    assertThat(journal().list(user, 100, 0))
        .extracting(JournalEntry::content)
        .containsExactlyInAnyOrderElementsOf(samples);
    assertThat(journal().totalBytes(user))
        .isEqualTo(samples.stream().mapToLong(JournalContract::utf8).sum());

    // updates round-trip too
    JournalEntry updated =
        journal().update(user, inserted.get(0).id(), "a\u0308\u0304 combining").orElseThrow();
    assertThat(journal().findById(user, updated.id()).orElseThrow().content())
        .isEqualTo("a\u0308\u0304 combining");
  }

  @Test
  void oneMebibyteEntryRoundTrips() {
    String user = newUser("alice");
    String big = "a€😀".repeat((1 << 20) / 8);
    assertThat(utf8(big)).isEqualTo(1 << 20);

    JournalEntry e = journal().insert(user, big);

    assertThat(e.contentBytes()).isEqualTo(1 << 20);
    assertThat(journal().findById(user, e.id()).orElseThrow().content()).isEqualTo(big);
    assertThat(journal().totalBytes(user)).isEqualTo(1 << 20);
  }

  @Test
  void contentUpToFourMebibytesIsAcceptedAndNoMore() {
    String user = newUser("alice");
    int max = (int) JournalEntry.MAX_CONTENT_BYTES;
    String largest = "x".repeat(max);

    JournalEntry e = journal().insert(user, largest);
    assertThat(e.contentBytes()).isEqualTo(max);
    assertThat(journal().totalBytes(user)).isEqualTo(max);

    assertValidation("content", () -> journal().insert(user, largest + "y"));
    // the limit is in UTF-8 bytes, not chars: fewer than 4 Mi chars, more than 4 MiB
    String euros = "€".repeat(max / 3 + 1);
    assertValidation("content", () -> journal().insert(user, euros));
    assertValidation("content", () -> journal().update(user, e.id(), largest + "y"));
    assertThat(journal().list(user, 10, 0)).hasSize(1);
    assertThat(journal().totalBytes(user)).isEqualTo(max);
  }

  @Test
  void nulInContentIsRefusedAndNothingIsWritten() {
    String user = newUser("alice");

    assertValidation("content", () -> journal().insert(user, "before\0after"));
    assertValidation("content", () -> journal().insert(user, "\0"));
    assertThat(journal().list(user, 10, 0)).isEmpty();
    assertThat(journal().totalBytes(user)).isZero();

    JournalEntry e = journal().insert(user, "clean");
    assertValidation("content", () -> journal().update(user, e.id(), "dirty\0"));
    assertThat(journal().findById(user, e.id())).contains(e);
  }

  @Test
  void unpairedSurrogatesAreRefused() {
    String user = newUser("alice");

    for (String bad : List.of("\uD800", "a\uDC00b", "ends high \uD83D", "\uDE00\uD83D")) {
      assertValidation("content", () -> journal().insert(user, bad));
    }
    assertThat(journal().list(user, 10, 0)).isEmpty();
    JournalEntry e = journal().insert(user, "ok");
    assertValidation("content", () -> journal().update(user, e.id(), "x\uD800"));
    assertThat(journal().findById(user, e.id())).contains(e);
  }

  @Test
  void nullContentAndInvalidIdsAreRefused() {
    String user = newUser("alice");
    JournalEntry e = journal().insert(user, "x");

    assertValidation("content", () -> journal().insert(user, null));
    assertValidation("content", () -> journal().update(user, e.id(), null));
    assertValidation("userId", () -> journal().insert(" ", "x"));
    assertValidation("userId", () -> journal().insert("u".repeat(256), "x"));
    assertValidation("userId", () -> journal().list("", 10, 0));
    assertValidation("userId", () -> journal().totalBytes("\0"));
    assertValidation("entryId", () -> journal().findById(user, ""));
    assertValidation("entryId", () -> journal().update(user, " ", "x"));
    assertValidation("entryId", () -> journal().delete(user, "e".repeat(256)));
    assertThat(journal().findById(user, e.id())).contains(e);
  }

  @Test
  void quotaAllowsReachingItExactlyAndRefusesExceedingInserts() {
    DbProvider quota = fixture().openFresh(b -> b.journalQuotaBytes(10));
    Journal j = quota.journal();
    String user = newUser(quota, "alice");

    JournalEntry four = j.insert(user, "abcd");
    JournalEntry grin = j.insert(user, "😀");
    assertThat(j.totalBytes(user)).isEqualTo(8);

    assertThatThrownBy(() -> j.insert(user, "€")).isInstanceOf(DbQuotaExceededException.class);
    assertThat(j.totalBytes(user)).isEqualTo(8);
    assertThat(j.list(user, 10, 0)).containsExactlyInAnyOrder(four, grin);

    JournalEntry two = j.insert(user, "ab");
    assertThat(j.totalBytes(user)).isEqualTo(10);
    assertThatThrownBy(() -> j.insert(user, "c")).isInstanceOf(DbQuotaExceededException.class);
    JournalEntry empty = j.insert(user, "");
    assertThat(j.totalBytes(user)).isEqualTo(10);
    assertThat(j.list(user, 10, 0)).containsExactlyInAnyOrder(four, grin, two, empty);

    // freeing space lets the next insert in
    assertThat(j.delete(user, grin.id())).isTrue();
    j.insert(user, "wxyz");
    assertThat(j.totalBytes(user)).isEqualTo(10);
  }

  @Test
  void quotaRefusesExceedingUpdatesAndKeepsTheContent() {
    DbProvider quota = fixture().openFresh(b -> b.journalQuotaBytes(10));
    Journal j = quota.journal();
    String user = newUser(quota, "alice");
    JournalEntry six = j.insert(user, "123456");
    JournalEntry three = j.insert(user, "abc");
    fixture().clock().advance(Duration.ofMinutes(1));

    assertThatThrownBy(() -> j.update(user, three.id(), "abcde"))
        .isInstanceOf(DbQuotaExceededException.class);
    assertThat(j.findById(user, three.id())).contains(three);
    assertThat(j.totalBytes(user)).isEqualTo(9);

    // the entry's own old size does not count against its new size
    JournalEntry grown = j.update(user, three.id(), "abcd").orElseThrow();
    assertThat(j.totalBytes(user)).isEqualTo(10);
    JournalEntry same = j.update(user, six.id(), "654321").orElseThrow();
    assertThat(same.contentBytes()).isEqualTo(6);
    JournalEntry shrunk = j.update(user, grown.id(), "a").orElseThrow();
    assertThat(shrunk.contentBytes()).isEqualTo(1);
    assertThat(j.totalBytes(user)).isEqualTo(7);
  }

  @Test
  void quotaIsPerUser() {
    DbProvider quota = fixture().openFresh(b -> b.journalQuotaBytes(10));
    Journal j = quota.journal();
    String alice = newUser(quota, "alice");
    String bob = newUser(quota, "bob");

    j.insert(alice, "0123456789");
    JournalEntry bobs = j.insert(bob, "0123456789");

    assertThat(bobs.contentBytes()).isEqualTo(10);
    assertThat(j.totalBytes(alice)).isEqualTo(10);
    assertThat(j.totalBytes(bob)).isEqualTo(10);
    assertThatThrownBy(() -> j.insert(alice, "x")).isInstanceOf(DbQuotaExceededException.class);
  }

  @Test
  void concurrentInsertsCannotTogetherExceedTheQuota() throws Exception {
    DbProvider quota = fixture().openFresh(b -> b.journalQuotaBytes(10));
    Journal j = quota.journal();
    String user = newUser(quota, "alice");
    int threads = 6;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<JournalEntry>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        String content = "thread" + i;
        Callable<JournalEntry> insert =
            () -> {
              go.await();
              return j.insert(user, content);
            };
        results.add(pool.submit(insert));
      }
      go.countDown();
      int inserted = 0;
      for (Future<JournalEntry> f : results) {
        try {
          f.get(30, TimeUnit.SECONDS);
          inserted++;
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(DbQuotaExceededException.class);
        }
      }
      assertThat(inserted).isEqualTo(1);
      assertThat(j.totalBytes(user)).isEqualTo(7);
      assertThat(j.list(user, 10, 0)).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void insertForUnknownUserIsNotFound() {
    assertThatThrownBy(() -> journal().insert(MISSING_USER, "orphan"))
        .isInstanceOf(DbNotFoundException.class);
    assertThat(journal().list(MISSING_USER, 10, 0)).isEmpty();
    assertThat(journal().totalBytes(MISSING_USER)).isZero();
  }

  @Test
  void usersSeeOnlyTheirOwnEntries() {
    String alice = newUser("alice");
    String bob = newUser("bob");
    List<JournalEntry> alices = insertSpaced(alice, 3);
    List<JournalEntry> bobs = insertSpaced(bob, 2);

    assertThat(journal().list(alice, 10, 0)).containsExactlyElementsOf(alices);
    assertThat(journal().list(bob, 10, 0)).containsExactlyElementsOf(bobs);
    assertThat(journal().listBefore(bob, null, 10).entries()).containsExactlyElementsOf(bobs);
    for (JournalEntry e : alices) {
      assertThat(journal().findById(bob, e.id())).isEmpty();
      assertThat(journal().findById(alice, e.id())).contains(e);
    }
    assertThat(journal().totalBytes(alice)).isEqualTo(21);
    assertThat(journal().totalBytes(bob)).isEqualTo(14);

    assertThat(fixture().db().users().delete(alice)).isTrue();
    assertThat(journal().list(alice, 10, 0)).isEmpty();
    assertThat(journal().totalBytes(alice)).isZero();
    assertThat(journal().list(bob, 10, 0)).containsExactlyElementsOf(bobs);
  }

  // ---- caller-chosen ids: a retry never writes an entry twice ----

  @Test
  void anInsertWithTheCallersIdStoresThatId() {
    String user = newUser("ada");

    JournalEntry entry = journal().insert(user, "entry-42", "hello");

    assertThat(entry.id()).isEqualTo("entry-42");
    assertThat(journal().findById(user, "entry-42")).contains(entry);
  }

  @Test
  void repeatingAnInsertWithTheSameIdAndContentReturnsTheStoredEntryAndWritesNothing() {
    String user = newUser("ada");
    JournalEntry first = journal().insert(user, "entry-42", "hello");
    fixture().clock().advance(Duration.ofSeconds(5));

    JournalEntry again = journal().insert(user, "entry-42", "hello");

    assertThat(again).isEqualTo(first);
    assertThat(journal().list(user, 10, 0)).containsExactly(first);
    assertThat(journal().totalBytes(user)).isEqualTo(5);
  }

  @Test
  void aRepeatWithinTheQuotaIsNotCountedTwice() {
    DbProvider db = fixture().openFresh(b -> b.journalQuotaBytes(8));
    String user = newUser(db, "ada");
    JournalEntry first = db.journal().insert(user, "entry-1", "12345");

    assertThat(db.journal().insert(user, "entry-1", "12345")).isEqualTo(first);
    assertThatThrownBy(() -> db.journal().insert(user, "entry-2", "12345"))
        .isInstanceOf(DbQuotaExceededException.class);
  }

  @Test
  void anIdTakenByOtherContentOrAnotherUserIsAConflictAndChangesNothing() {
    String ada = newUser("ada");
    String bob = newUser("bob");
    JournalEntry first = journal().insert(ada, "entry-42", "hello");

    assertThatThrownBy(() -> journal().insert(ada, "entry-42", "other content"))
        .isInstanceOf(DbConflictException.class)
        .hasMessageContaining("entry-42")
        .hasMessageNotContaining("hello")
        .hasMessageNotContaining("other content");
    assertThatThrownBy(() -> journal().insert(bob, "entry-42", "hello"))
        .isInstanceOf(DbConflictException.class);

    assertThat(journal().findById(ada, "entry-42")).contains(first);
    assertThat(journal().list(bob, 10, 0)).isEmpty();
  }

  @Test
  void concurrentInsertsOfOneIdWriteOneEntryAndAllGetIt() throws Exception {
    String user = newUser("ada");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<JournalEntry>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(
            pool.submit(
                () -> {
                  start.await();
                  return journal().insert(user, "entry-race", "same text");
                }));
      }
      start.countDown();
      List<JournalEntry> results = new ArrayList<>();
      for (Future<JournalEntry> call : calls) {
        results.add(call.get(60, TimeUnit.SECONDS));
      }

      assertThat(results).containsOnly(results.get(0));
      assertThat(journal().list(user, 10, 0)).containsExactly(results.get(0));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCallersIdIsValidatedAsAnId() {
    String user = newUser("ada");

    assertValidation("entryId", () -> journal().insert(user, "", "x"));
    assertValidation("entryId", () -> journal().insert(user, null, "x"));
    assertValidation("entryId", () -> journal().insert(user, "e".repeat(256), "x"));
    assertValidation("entryId", () -> journal().insert(user, "a\0b", "x"));
    assertThat(journal().list(user, 10, 0)).isEmpty();
  }
}
