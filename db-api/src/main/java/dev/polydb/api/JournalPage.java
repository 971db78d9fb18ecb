package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.util.List;
import java.util.Optional;

/**
 * A page of journal entries, newest first.
 *
 * @param entries the entries
 * @param nextCursor the cursor for the next (older) page, empty on the last page
 */
public record JournalPage(List<JournalEntry> entries, Optional<String> nextCursor) {

  /**
   * Validates and copies the record.
   *
   * @throws DbValidationException when a field is missing
   */
  public JournalPage {
    entries = List.copyOf(Check.notNull("entries", entries));
    Check.notNull("nextCursor", nextCursor);
  }
}
