package dev.polydb.jooq;

import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.sum;

import dev.polydb.api.DbConflictException;
import dev.polydb.api.DbNotFoundException;
import dev.polydb.api.DbOutcomeUnknownException;
import dev.polydb.api.DbQuotaExceededException;
import dev.polydb.api.DbValidationException;
import dev.polydb.api.Journal;
import dev.polydb.api.JournalEntry;
import dev.polydb.api.JournalPage;
import dev.polydb.api.internal.Check;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Select;
import org.jooq.impl.DSL;

final class JooqJournal implements Journal {
  private final Session s;
  private final Tables.Journal j;

  private final String insertEntry;
  private final String findEntry;
  private final String findOwned;
  private final String listPage;
  private final String listFirst;
  private final String listOlder;
  private final String totalBytes;
  private final String updateOwned;
  private final String deleteOwned;

  JooqJournal(Session session) {
    this.s = session;
    this.j = session.t.journal;
    DSLContext dsl = session.core.dsl;
    this.insertEntry =
        s.sql(
            "journal.insertEntry",
            () ->
                s.render(
                    dsl.insertInto(j.table)
                        .set(j.id, DSL.param(j.id.getDataType()))
                        .set(j.userId, DSL.param(j.userId.getDataType()))
                        .set(j.content, DSL.param(j.content.getDataType()))
                        .set(j.contentBytes, DSL.param(j.contentBytes.getDataType()))
                        .set(j.createdAt, DSL.param(j.createdAt.getDataType()))
                        .set(j.updatedAt, DSL.param(j.updatedAt.getDataType()))
                        .onConflictDoNothing()));
    this.findEntry =
        s.sql(
            "journal.findEntry",
            () ->
                s.render(
                    dsl.select(j.all).from(j.table).where(j.id.eq(DSL.param(j.id.getDataType())))));
    this.findOwned =
        s.sql("journal.findOwned", () -> s.render(dsl.select(j.all).from(j.table).where(owned())));
    this.updateOwned =
        s.sql(
            "journal.updateOwned",
            () ->
                s.render(
                        dsl.update(j.table)
                            .set(j.content, DSL.param(j.content.getDataType()))
                            .set(j.contentBytes, DSL.param(j.contentBytes.getDataType()))
                            .set(j.updatedAt, DSL.param(j.updatedAt.getDataType()))
                            .where(owned()))
                    + s.returning(List.of(j.createdAt)));
    this.deleteOwned =
        s.sql("journal.deleteOwned", () -> s.render(dsl.deleteFrom(j.table).where(owned())));
    this.listPage =
        s.sql(
            "journal.listPage",
            () ->
                s.render(newestFirst(dsl, j.userId.eq(DSL.param(j.userId.getDataType()))))
                    // appended, not rendered: jOOQ writes OFFSET … FETCH NEXT for Postgres, which
                    // would put the two binds in the other order; both engines take this form
                    + " LIMIT ? OFFSET ?");
    this.listFirst =
        s.sql(
            "journal.listFirst",
            () ->
                s.render(newestFirst(dsl, j.userId.eq(DSL.param(j.userId.getDataType()))))
                    + " LIMIT ?");
    // binds the user, then the cursor's time twice and its id
    this.listOlder =
        s.sql(
            "journal.listOlder",
            () ->
                s.render(
                        newestFirst(
                            dsl,
                            j.userId
                                .eq(DSL.param(j.userId.getDataType()))
                                .and(
                                    j.createdAt
                                        .lt(DSL.param(j.createdAt.getDataType()))
                                        .or(
                                            j.createdAt
                                                .eq(DSL.param(j.createdAt.getDataType()))
                                                .and(j.id.lt(DSL.param(j.id.getDataType())))))))
                    + " LIMIT ?");
    this.totalBytes =
        s.sql(
            "journal.totalBytes",
            () ->
                s.render(
                    // the zero inlined: as a bind it would come before the user's
                    dsl.select(coalesce(sum(j.contentBytes), DSL.inline(BigDecimal.ZERO)))
                        .from(j.table)
                        .where(j.userId.eq(DSL.param(j.userId.getDataType())))));
  }

  /** A user's entries, newest first (ties by id), without the page's limit. */
  private Select<?> newestFirst(DSLContext dsl, Condition where) {
    return dsl.select(j.all).from(j.table).where(where).orderBy(j.createdAt.desc(), j.id.desc());
  }

  /** The entry with an id, when a user owns it: binds the id, then the user. */
  private Condition owned() {
    return j.id
        .eq(DSL.param(j.id.getDataType()))
        .and(j.userId.eq(DSL.param(j.userId.getDataType())));
  }

  @Override
  public JournalEntry insert(String userId, String content) {
    Check.identifier("userId", userId);
    long bytes = Check.utf8("content", content, JournalEntry.MAX_CONTENT_BYTES);
    String entryId = s.newId();
    try {
      return insertChecked(userId, entryId, content, bytes);
    } catch (DbOutcomeUnknownException e) {
      // the caller did not choose the id: without it, reading back is guesswork
      throw new DbOutcomeUnknownException(
          e.getMessage() + "; the entry's id was " + entryId, e.sqlState().orElse(null), e);
    }
  }

  @Override
  public JournalEntry insert(String userId, String entryId, String content) {
    Check.identifier("userId", userId);
    Check.identifier("entryId", entryId);
    long bytes = Check.utf8("content", content, JournalEntry.MAX_CONTENT_BYTES);
    return insertChecked(userId, entryId, content, bytes);
  }

  /**
   * Without a quota, one statement: the foreign key checks the user, the conflict clause keeps a
   * retry from writing twice, and only a taken id costs a second statement, a read. With a quota,
   * the user's row is locked and the total checked first, in one transaction.
   */
  private JournalEntry insertChecked(String userId, String entryId, String content, long bytes) {
    if (s.core.config.journalQuotaBytes().isPresent()) {
      return s.write("journal insert", ctx -> insert(ctx, userId, entryId, content, bytes));
    }
    try {
      return s.writeOneStatement(
          "journal insert",
          c -> {
            Instant now = s.now();
            int inserted =
                Sql.update(
                    c,
                    insertEntry,
                    st -> {
                      st.setString(1, entryId);
                      st.setString(2, userId);
                      st.setString(3, content);
                      st.setLong(4, bytes);
                      s.core.backend.setInstant(st, 5, now);
                      s.core.backend.setInstant(st, 6, now);
                    });
            if (inserted == 1) {
              return new JournalEntry(entryId, userId, content, bytes, now, now);
            }
            return sameEntry(
                Sql.one(c, findEntry, st -> st.setString(1, entryId), this::map),
                entryId,
                userId,
                content);
          });
    } catch (DbNotFoundException e) {
      // the foreign key found no such user
      throw new DbNotFoundException("user not found: " + userId, e.sqlState().orElse(null), e);
    }
  }

  /**
   * Inserts unless the id is taken; a taken id is the same entry again (a retry) when owner and
   * content match, else a conflict. The insert skips a conflicting row rather than failing, so a
   * concurrent retry of the same entry also ends in the first branch.
   */
  private JournalEntry insert(
      DSLContext ctx, String userId, String entryId, String content, long bytes) {
    Owners.lock(s, ctx, userId);
    Optional<JournalEntry> existing = findAnyOwner(ctx, entryId);
    if (existing.isEmpty()) {
      checkQuota(ctx, userId, bytes, 0);
      Instant now = s.now();
      int inserted =
          ctx.insertInto(j.table)
              .set(j.id, entryId)
              .set(j.userId, userId)
              .set(j.content, content)
              .set(j.contentBytes, bytes)
              .set(j.createdAt, now)
              .set(j.updatedAt, now)
              .onConflictDoNothing()
              .execute();
      if (inserted == 1) {
        return new JournalEntry(entryId, userId, content, bytes, now, now);
      }
      existing = findAnyOwner(ctx, entryId);
    }
    return sameEntry(existing, entryId, userId, content);
  }

  /** The entry that holds a taken id, when it is this one again (a retry); else a conflict. */
  private static JournalEntry sameEntry(
      Optional<JournalEntry> existing, String entryId, String userId, String content) {
    JournalEntry stored =
        existing.orElseThrow(
            () ->
                new DbConflictException("journal entry id was taken and freed again: " + entryId));
    if (!stored.userId().equals(userId) || !stored.content().equals(content)) {
      throw new DbConflictException(
          "journal entry id is taken by another entry: "
              + entryId
              + "; choose a new id for new content");
    }
    return stored;
  }

  private Optional<JournalEntry> findAnyOwner(DSLContext ctx, String entryId) {
    return ctx.select(j.all).from(j.table).where(j.id.eq(entryId)).fetchOptional().map(this::map);
  }

  @Override
  public Optional<JournalEntry> update(String userId, String entryId, String content) {
    Check.identifier("userId", userId);
    Check.identifier("entryId", entryId);
    long bytes = Check.utf8("content", content, JournalEntry.MAX_CONTENT_BYTES);
    if (s.core.config.journalQuotaBytes().isEmpty()) {
      // nothing to check first: one statement, which reads the creation time back
      return s.writeOneStatement(
          "journal update",
          c -> {
            Instant now = s.now();
            return Sql.one(
                c,
                updateOwned,
                st -> {
                  st.setString(1, content);
                  st.setLong(2, bytes);
                  s.core.backend.setInstant(st, 3, now);
                  st.setString(4, entryId);
                  st.setString(5, userId);
                },
                r ->
                    new JournalEntry(
                        entryId, userId, content, bytes, s.core.backend.getInstant(r, 1), now));
          });
    }
    // with a quota: the user's row locked, the entry and the total read, then the update
    return s.write(
        "journal update",
        ctx -> {
          if (!Session.jdbc(ctx, c -> Owners.locks(s, c, userId))) {
            return Optional.<JournalEntry>empty(); // a missing user owns no entry
          }
          Optional<JournalEntry> current = find(ctx, userId, entryId);
          if (current.isEmpty()) {
            return Optional.<JournalEntry>empty();
          }
          checkQuota(ctx, userId, bytes, current.get().contentBytes());
          Instant now = s.now();
          int updated =
              ctx.update(j.table)
                  .set(j.content, content)
                  .set(j.contentBytes, bytes)
                  .set(j.updatedAt, now)
                  .where(j.id.eq(entryId), j.userId.eq(userId))
                  .execute();
          if (updated == 0) {
            // deleted by a concurrent transaction since find() (Postgres, READ COMMITTED)
            return Optional.<JournalEntry>empty();
          }
          return Optional.of(
              new JournalEntry(entryId, userId, content, bytes, current.get().createdAt(), now));
        });
  }

  @Override
  public boolean delete(String userId, String entryId) {
    Check.identifier("userId", userId);
    Check.identifier("entryId", entryId);
    return s.writeOneStatement(
        "journal delete",
        c ->
            Sql.update(
                    c,
                    deleteOwned,
                    st -> {
                      st.setString(1, entryId);
                      st.setString(2, userId);
                    })
                > 0);
  }

  @Override
  public Optional<JournalEntry> findById(String userId, String entryId) {
    Check.identifier("userId", userId);
    Check.identifier("entryId", entryId);
    return s.readJdbc(
        "journal find",
        c ->
            Sql.one(
                c,
                findOwned,
                st -> {
                  st.setString(1, entryId);
                  st.setString(2, userId);
                },
                this::map));
  }

  @Override
  public List<JournalEntry> list(String userId, int limit, int offset) {
    Check.identifier("userId", userId);
    Check.range("limit", limit, 1, 1000);
    Check.range("offset", offset, 0, Integer.MAX_VALUE);
    return s.readJdbc(
        "journal list",
        c ->
            Sql.list(
                c,
                listPage,
                st -> {
                  st.setString(1, userId);
                  st.setInt(2, limit);
                  st.setInt(3, offset);
                },
                this::map));
  }

  @Override
  public JournalPage listBefore(String userId, String beforeCursor, int limit) {
    Check.identifier("userId", userId);
    Check.range("limit", limit, 1, 1000);
    Cursor after = beforeCursor == null ? null : Cursor.parse(beforeCursor);
    // one row more than the page tells whether another page follows
    List<JournalEntry> rows =
        s.readJdbc(
            "journal list",
            c ->
                after == null
                    ? Sql.list(
                        c,
                        listFirst,
                        st -> {
                          st.setString(1, userId);
                          st.setInt(2, limit + 1);
                        },
                        this::map)
                    : Sql.list(
                        c,
                        listOlder,
                        st -> {
                          st.setString(1, userId);
                          s.core.backend.setInstant(st, 2, after.createdAt());
                          s.core.backend.setInstant(st, 3, after.createdAt());
                          st.setString(4, after.id());
                          st.setInt(5, limit + 1);
                        },
                        this::map));
    if (rows.size() <= limit) {
      return new JournalPage(rows, Optional.empty());
    }
    List<JournalEntry> page = rows.subList(0, limit);
    return new JournalPage(page, Optional.of(Cursor.encode(page.get(limit - 1))));
  }

  @Override
  public long totalBytes(String userId) {
    Check.identifier("userId", userId);
    return s.readJdbc("journal total bytes", c -> total(c, userId));
  }

  private long total(Connection c, String userId) throws SQLException {
    // SUM of a BIGINT is a NUMERIC on Postgres, an INTEGER on SQLite: read exactly either way
    return Sql.one(
            c, totalBytes, st -> st.setString(1, userId), r -> r.getBigDecimal(1).longValueExact())
        .orElse(0L);
  }

  private void checkQuota(DSLContext ctx, String userId, long adding, long replacing) {
    OptionalLong quota = s.core.config.journalQuotaBytes();
    if (quota.isEmpty()) {
      return;
    }
    long after = Session.jdbc(ctx, c -> total(c, userId)) - replacing + adding;
    if (after > quota.getAsLong()) {
      throw new DbQuotaExceededException(
          "journal quota exceeded for user "
              + userId
              + ": "
              + after
              + " bytes would pass the quota of "
              + quota.getAsLong());
    }
  }

  private Optional<JournalEntry> find(DSLContext ctx, String userId, String entryId) {
    return ctx.select(j.all)
        .from(j.table)
        .where(j.id.eq(entryId), j.userId.eq(userId))
        .fetchOptional()
        .map(this::map);
  }

  /** Where a page ended: its last entry's creation time and id, newest first. */
  private record Cursor(Instant createdAt, String id) {
    /** The cursor after an entry, as the caller holds it. */
    static String encode(JournalEntry last) {
      String raw = last.createdAt().toEpochMilli() + ":" + last.id();
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor parse(String cursor) {
      try {
        String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        int colon = raw.indexOf(':');
        Instant at = Instant.ofEpochMilli(Long.parseLong(raw.substring(0, colon)));
        return new Cursor(at, Check.identifier("beforeCursor", raw.substring(colon + 1)));
      } catch (RuntimeException e) {
        throw new DbValidationException("beforeCursor", "is not a cursor from a previous page");
      }
    }
  }

  /** A row of {@code j.all}, in its order. */
  private JournalEntry map(ResultSet r) throws SQLException {
    return new JournalEntry(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        r.getLong(4),
        s.core.backend.getInstant(r, 5),
        s.core.backend.getInstant(r, 6));
  }

  private JournalEntry map(Record r) {
    return new JournalEntry(
        r.get(j.id),
        r.get(j.userId),
        r.get(j.content),
        r.get(j.contentBytes),
        r.get(j.createdAt),
        r.get(j.updatedAt));
  }
}
