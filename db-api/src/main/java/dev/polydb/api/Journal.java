package dev.polydb.api;

import java.util.List;
import java.util.Optional;

/**
 * A per-user journal. Content round-trips byte for byte. Obtain it from {@link
 * DbProvider#journal()}.
 */
public interface Journal {

  /**
   * Writes a new entry.
   *
   * @param userId the owner
   * @param content the text, at most {@link JournalEntry#MAX_CONTENT_BYTES} UTF-8 bytes, no NUL
   * @return the stored entry
   * @throws DbValidationException when an argument is invalid
   * @throws DbNotFoundException when the user does not exist
   * @throws DbQuotaExceededException when the user's journal would pass the configured quota
   * @throws DbReadOnlyException when mutations are disabled
   */
  JournalEntry insert(String userId, String content);

  /**
   * Writes a new entry under an id the caller chose, idempotently: when the user already has an
   * entry with this id and this content, that entry is returned and nothing is written. A caller
   * that got {@link DbOutcomeUnknownException} (or any failure) retries with the same id and can
   * never write the entry twice.
   *
   * @param userId the owner
   * @param entryId the entry's id, chosen by the caller (a UUID, say); at most 255 characters
   * @param content the text, at most {@link JournalEntry#MAX_CONTENT_BYTES} UTF-8 bytes, no NUL
   * @return the stored entry: the new one, or the one a previous call with this id wrote
   * @throws DbConflictException when the id is taken by another entry: another user's, or one with
   *     other content
   * @throws DbValidationException when an argument is invalid
   * @throws DbNotFoundException when the user does not exist
   * @throws DbQuotaExceededException when the user's journal would pass the configured quota
   * @throws DbReadOnlyException when mutations are disabled
   */
  JournalEntry insert(String userId, String entryId, String content);

  /**
   * Replaces an entry's content.
   *
   * @param userId the owner
   * @param entryId the entry
   * @param content the new text
   * @return the updated entry, or empty when the user owns no such entry
   * @throws DbValidationException when an argument is invalid
   * @throws DbQuotaExceededException when the user's journal would pass the configured quota
   * @throws DbReadOnlyException when mutations are disabled
   */
  Optional<JournalEntry> update(String userId, String entryId, String content);

  /**
   * Deletes an entry.
   *
   * @param userId the owner
   * @param entryId the entry
   * @return {@code true} when it was deleted, {@code false} when the user owns no such entry
   * @throws DbValidationException when an argument is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  boolean delete(String userId, String entryId);

  /**
   * Finds one of the user's entries.
   *
   * @param userId the owner
   * @param entryId the entry
   * @return the entry, or empty
   * @throws DbValidationException when an argument is invalid
   */
  Optional<JournalEntry> findById(String userId, String entryId);

  /**
   * Lists entries newest first (by creation time, then by id, descending).
   *
   * @param userId the owner
   * @param limit at most this many, 1 to 1,000
   * @param offset skip this many, 0 or more
   * @return the entries
   * @throws DbValidationException when an argument is invalid
   */
  List<JournalEntry> list(String userId, int limit, int offset);

  /**
   * Lists entries older than a cursor, newest first. Unlike offsets, cursors neither skip nor
   * repeat entries while others are inserted.
   *
   * @param userId the owner
   * @param beforeCursor a cursor from a previous page, or {@code null} for the newest page
   * @param limit at most this many, 1 to 1,000
   * @return the page
   * @throws DbValidationException when an argument or the cursor is invalid
   */
  JournalPage listBefore(String userId, String beforeCursor, int limit);

  /**
   * The exact UTF-8 size of all the user's entries.
   *
   * @param userId the owner
   * @return the byte total, 0 when there are none
   * @throws DbValidationException when the id is invalid
   */
  long totalBytes(String userId);
}
