package dev.polydb.api;

import dev.polydb.api.internal.Check;

/**
 * A search hit.
 *
 * @param chunk the chunk
 * @param distance its distance to the query under the store's metric; smaller is nearer
 */
public record ChunkMatch(Chunk chunk, double distance) {
  /**
   * Validates the record.
   *
   * @throws DbValidationException when the chunk is missing
   */
  public ChunkMatch {
    Check.notNull("chunk", chunk);
  }
}
