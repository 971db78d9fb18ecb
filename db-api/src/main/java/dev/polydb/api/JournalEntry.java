package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;

/**
 * One journal entry.
 *
 * @param id the library-generated id
 * @param userId the owner
 * @param content the text, byte for byte as written
 * @param contentBytes the UTF-8 size of {@code content}
 * @param createdAt when it was written first
 * @param updatedAt when it was written last
 */
public record JournalEntry(
    String id,
    String userId,
    String content,
    long contentBytes,
    Instant createdAt,
    Instant updatedAt) {

  /** Largest accepted entry, in UTF-8 bytes. */
  public static final long MAX_CONTENT_BYTES = 4L << 20;

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a field is missing
   */
  public JournalEntry {
    Check.identifier("id", id);
    Check.identifier("userId", userId);
    Check.notNull("content", content);
    Check.notNull("createdAt", createdAt);
    Check.notNull("updatedAt", updatedAt);
  }
}
