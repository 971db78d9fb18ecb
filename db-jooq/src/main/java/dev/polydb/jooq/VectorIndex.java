package dev.polydb.jooq;

import dev.polydb.api.Chunk;
import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.DataType;

/** How a backend stores embeddings and finds the nearest ones. */
public interface VectorIndex {

  /**
   * How the embedding column is stored.
   *
   * @param dimension the store's dimension
   * @return a data type read and bound as {@code float[]}
   */
  DataType<float[]> embeddingType(int dimension);

  /**
   * An embedding as JDBC binds it where {@link #embeddingType} is rendered.
   *
   * @param embedding the embedding, as stored
   * @return the value for {@code setObject}
   */
  Object jdbcValue(float[] embedding);

  /**
   * Readies a connection for binding and reading embeddings, before a statement that does; by
   * default nothing. Postgres registers pgvector-java's types, so that vectors travel in binary.
   *
   * @param c the connection
   * @throws SQLException when the driver refuses
   */
  default void registerTypes(Connection c) throws SQLException {}

  /**
   * Reads an embedding column as {@link #embeddingType} stores it.
   *
   * @param rs the result set, on a row
   * @param column the column's index
   * @return the embedding
   * @throws SQLException when the column cannot be read
   */
  float[] embedding(ResultSet rs, int column) throws SQLException;

  /**
   * Finds the nearest chunks of the scope.
   *
   * @param ctx where to run queries
   * @param query the query vector, already validated
   * @param k how many
   * @param scope the owner and filters, to be bound as parameters
   * @param settings the store's settings
   * @param inTransaction whether {@code ctx} is a caller's transaction, whose uncommitted rows must
   *     not be cached
   * @return ids and distances, nearest first, ties by id ascending in code point order
   */
  List<Hit> search(
      DSLContext ctx,
      float[] query,
      int k,
      SearchScope scope,
      VectorSettings settings,
      boolean inTransaction);

  /**
   * Starts a record of what one write transaction changes, for a backend that keeps a copy of the
   * embeddings: called inside the transaction, before its first chunk statement.
   *
   * @param ctx the write's transaction
   * @param owners the owners whose chunks the write may change
   * @return the record; by default one that keeps nothing
   */
  default Changes changes(DSLContext ctx, Collection<String> owners) {
    return Changes.NONE;
  }

  /**
   * Called after this process wrote chunks, once the write committed or rolled back, when its
   * changes were not (or could not be) handed over as {@link Changes#committed}.
   *
   * @param userId the owner whose chunks changed, or {@code null} for any
   */
  default void written(String userId) {}

  /** What one write transaction changed, told as it happens. */
  interface Changes {
    /** Keeps nothing. */
    Changes NONE = new Changes() {};

    /**
     * A chunk was inserted or replaced.
     *
     * @param id its id
     * @param userId its owner
     * @param documentId its document
     * @param metadata its metadata
     * @param embedding its embedding as stored
     */
    default void upserted(
        String id,
        String userId,
        String documentId,
        Map<String, String> metadata,
        float[] embedding) {}

    /**
     * A document's chunks were deleted.
     *
     * @param userId the owner
     * @param documentId the document
     */
    default void deletedDocument(String userId, String documentId) {}

    /**
     * All of an owner's chunks were deleted.
     *
     * @param userId the owner
     */
    default void deletedAll(String userId) {}

    /**
     * Called inside the transaction after its last chunk statement.
     *
     * @param ctx the write's transaction
     */
    default void end(DSLContext ctx) {}

    /** Called once the transaction committed: the changes are now everyone's. */
    default void committed() {}
  }

  /**
   * A search hit.
   *
   * @param id the chunk id
   * @param distance the distance to the query
   * @param chunk the chunk, when the search read it; else the store reads it by id
   */
  record Hit(String id, double distance, Optional<Chunk> chunk) {
    /**
     * A hit whose chunk the store reads.
     *
     * @param id the chunk id
     * @param distance the distance to the query
     */
    public Hit(String id, double distance) {
      this(id, distance, Optional.empty());
    }
  }
}
