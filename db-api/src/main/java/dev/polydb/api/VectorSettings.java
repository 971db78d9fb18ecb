package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.util.Optional;

/**
 * A vector store's fixed settings.
 *
 * @param dimension the embedding dimension
 * @param metric the distance metric
 * @param model the embedding model the store accepts; empty until the first chunk is written when
 *     none was configured
 */
public record VectorSettings(int dimension, DistanceMetric metric, Optional<String> model) {
  /**
   * Validates the record.
   *
   * @throws DbValidationException when a field is invalid
   */
  public VectorSettings {
    Check.range("dimension", dimension, 1, 16_000);
    Check.notNull("metric", metric);
    Check.notNull("model", model);
  }
}
