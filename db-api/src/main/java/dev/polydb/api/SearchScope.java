package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.util.Map;
import java.util.Set;

/**
 * What a vector search may return: always one owner's chunks, optionally only some documents and
 * only chunks whose metadata holds given values. Every part is bound as a parameter.
 *
 * @param userId the owner, required
 * @param documentIds only these documents; empty for all
 * @param metadataEquals only chunks whose metadata has each of these key-value pairs
 */
public record SearchScope(
    String userId, Set<String> documentIds, Map<String, String> metadataEquals) {

  /**
   * Validates and copies the record.
   *
   * @throws DbValidationException naming the first invalid field
   */
  public SearchScope {
    Check.identifier("userId", userId);
    Check.notNull("documentIds", documentIds);
    // each element checked first: Set.copyOf throws NullPointerException on a null
    documentIds.forEach(d -> Check.identifier("documentIds", d));
    documentIds = Set.copyOf(documentIds);
    Check.notNull("metadataEquals", metadataEquals);
    metadataEquals.forEach(
        (k, v) -> {
          Check.identifier("metadataEquals key", k);
          Check.text(
              "metadataEquals[" + k + "]", Check.notNull("metadataEquals[" + k + "]", v), 2048);
        });
    metadataEquals = Map.copyOf(metadataEquals);
  }

  /**
   * All of one user's chunks.
   *
   * @param userId the owner
   * @return the scope
   * @throws DbValidationException when the id is invalid
   */
  public static SearchScope user(String userId) {
    return new SearchScope(userId, Set.of(), Map.of());
  }

  /**
   * Narrows the scope to some documents.
   *
   * @param ids the document ids; repeats are ignored
   * @return a new scope
   * @throws DbValidationException when the array or an id is null, blank or too long
   */
  public SearchScope documents(String... ids) {
    Check.notNull("documentIds", ids);
    // a set that takes repeats, unlike Set.of; the constructor checks each id
    Set<String> documents = new java.util.LinkedHashSet<>(java.util.Arrays.asList(ids));
    for (String id : documents) {
      Check.identifier("documentIds", id);
    }
    return new SearchScope(userId, documents, metadataEquals);
  }

  /**
   * Narrows the scope to chunks whose metadata holds {@code key = value}.
   *
   * @param key the metadata key
   * @param value the value
   * @return a new scope
   * @throws DbValidationException when the key or value is invalid
   */
  public SearchScope withMetadata(String key, String value) {
    var m = new java.util.HashMap<>(metadataEquals);
    m.put(key, value);
    return new SearchScope(userId, documentIds, m);
  }
}
