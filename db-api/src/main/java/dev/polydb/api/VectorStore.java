package dev.polydb.api;

import java.util.List;

/**
 * Chunks of documents with embeddings, and nearest-neighbour search scoped to one owner. The
 * dimension, metric and embedding model are fixed per database. Obtain it from {@link
 * DbProvider#vectors()}.
 */
public interface VectorStore {

  /**
   * Inserts or replaces chunks by id, all in one transaction. Above {@value
   * VectorSettings#MAX_FULL_PRECISION_DIMENSION} dimensions the embeddings are stored rounded to
   * half precision (see {@link VectorSettings}).
   *
   * @param chunks the chunks, at most 10,000
   * @return how many were written
   * @throws DbValidationException when a chunk's dimension or model differs from the store's, an id
   *     repeats within the batch, or (at half precision) a component lies beyond ±65504 or, under
   *     cosine, every component rounds to zero
   * @throws DbNotFoundException when an owner does not exist
   * @throws DbConflictException when an id belongs to another user's chunk
   * @throws DbReadOnlyException when mutations are disabled
   */
  int upsert(List<Chunk> chunks);

  /**
   * Deletes one document's chunks.
   *
   * @param userId the owner
   * @param documentId the document
   * @return how many were deleted
   * @throws DbValidationException when an argument is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  int deleteByDocument(String userId, String documentId);

  /**
   * Deletes all of a user's chunks.
   *
   * @param userId the owner
   * @return how many were deleted
   * @throws DbValidationException when the id is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  int deleteByUser(String userId);

  /**
   * Finds the {@code k} chunks nearest to {@code query} within {@code scope}, nearest first, ties
   * broken by id. At half precision the query is rounded as stored embeddings are.
   *
   * @param query the query embedding, of the store's dimension
   * @param k how many, 1 to 1,000
   * @param scope the owner and optional filters
   * @return at most {@code k} matches
   * @throws DbValidationException when the query or {@code k} is invalid
   */
  List<ChunkMatch> search(float[] query, int k, SearchScope scope);

  /**
   * The store's settings, as recorded when the database was migrated.
   *
   * @return dimension, metric and model
   */
  VectorSettings settings();
}
