package dev.polydb.jooq;

import dev.polydb.api.SearchScope;
import dev.polydb.api.VectorSettings;
import java.util.List;
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
   * Called after this process wrote chunks, once the write committed or rolled back.
   *
   * @param userId the owner whose chunks changed, or {@code null} for any
   */
  default void written(String userId) {}

  /**
   * A search hit before its chunk is read.
   *
   * @param id the chunk id
   * @param distance the distance to the query
   */
  record Hit(String id, double distance) {}
}
