package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A piece of a document with its embedding. Equality compares the embedding's contents.
 *
 * @param id the chunk id, chosen by the caller; upserts are by id
 * @param userId the owner; every search is scoped to one owner
 * @param documentId the document the chunk comes from
 * @param chunkIndex the position in the document, 0 or more
 * @param text the chunk's text, at most 1 MiB UTF-8, no NUL
 * @param metadata flat string metadata, searchable by equality
 * @param embedding the embedding, finite floats of the store's dimension; above 2000 dimensions the
 *     store keeps them rounded to half precision (see {@link VectorSettings})
 * @param model the embedding model's name; the store accepts one model
 * @param createdAt when it was stored; empty on input, set by the store
 */
public record Chunk(
    String id,
    String userId,
    String documentId,
    int chunkIndex,
    String text,
    Map<String, String> metadata,
    float[] embedding,
    String model,
    Optional<Instant> createdAt) {

  /** Largest accepted chunk text, in UTF-8 bytes. */
  public static final long MAX_TEXT_BYTES = 1L << 20;

  /**
   * Validates and copies the record.
   *
   * @throws DbValidationException naming the first invalid field
   */
  public Chunk {
    Check.identifier("id", id);
    Check.identifier("userId", userId);
    Check.identifier("documentId", documentId);
    Check.range("chunkIndex", chunkIndex, 0, Integer.MAX_VALUE);
    Check.utf8("text", text, MAX_TEXT_BYTES);
    Check.notNull("metadata", metadata);
    metadata.forEach(
        (k, v) -> {
          Check.identifier("metadata key", k);
          Check.notNull("metadata[" + k + "]", v);
          Check.text("metadata[" + k + "]", v, 2048);
        });
    metadata = Map.copyOf(metadata);
    embedding = Check.vector("embedding", embedding, 0).clone();
    Check.identifier("model", model);
    Check.notNull("createdAt", createdAt);
  }

  /**
   * Creates a chunk for writing.
   *
   * @param id the chunk id
   * @param userId the owner
   * @param documentId the document
   * @param chunkIndex the position in the document
   * @param text the text
   * @param metadata flat metadata
   * @param embedding the embedding
   * @param model the embedding model
   * @return the chunk
   * @throws DbValidationException naming the first invalid field
   */
  public static Chunk of(
      String id,
      String userId,
      String documentId,
      int chunkIndex,
      String text,
      Map<String, String> metadata,
      float[] embedding,
      String model) {
    return new Chunk(
        id, userId, documentId, chunkIndex, text, metadata, embedding, model, Optional.empty());
  }

  /**
   * A copy of the embedding.
   *
   * @return the embedding
   */
  @Override
  public float[] embedding() {
    return embedding.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Chunk c
        && chunkIndex == c.chunkIndex
        && id.equals(c.id)
        && userId.equals(c.userId)
        && documentId.equals(c.documentId)
        && text.equals(c.text)
        && metadata.equals(c.metadata)
        && Arrays.equals(embedding, c.embedding)
        && model.equals(c.model)
        && createdAt.equals(c.createdAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, userId, documentId, chunkIndex, text, metadata, model, createdAt) * 31
        + Arrays.hashCode(embedding);
  }

  @Override
  public String toString() {
    return "Chunk[id="
        + id
        + ", userId="
        + userId
        + ", documentId="
        + documentId
        + ", chunkIndex="
        + chunkIndex
        + ", textChars="
        + text.length()
        + ", metadata="
        + metadata
        + ", dimension="
        + embedding.length
        + ", model="
        + model
        + ", createdAt="
        + createdAt
        + "]";
  }
}
