package dev.polydb.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** SearchScope throws what its Javadoc says, and nothing else. */
class SearchScopeTest {

  @Test
  void documentsRefusesANullOrBlankIdAsValidation() {
    SearchScope scope = SearchScope.user("u1");

    assertThatThrownBy(() -> scope.documents("d1", null))
        .isInstanceOfSatisfying(
            DbValidationException.class, e -> assertThat(e.field()).isEqualTo("documentIds"));
    assertThatThrownBy(() -> scope.documents((String[]) null))
        .isInstanceOf(DbValidationException.class);
    assertThatThrownBy(() -> scope.documents(" ")).isInstanceOf(DbValidationException.class);
  }

  @Test
  void documentsTakesARepeatedIdOnce() {
    assertThat(SearchScope.user("u1").documents("d1", "d1", "d2").documentIds())
        .isEqualTo(Set.of("d1", "d2"));
  }

  @Test
  void aNullMetadataValueIsValidation() {
    assertThatThrownBy(() -> SearchScope.user("u1").withMetadata("lang", null))
        .isInstanceOf(DbValidationException.class);
    assertThatThrownBy(() -> SearchScope.user("u1").withMetadata(null, "en"))
        .isInstanceOf(DbValidationException.class);
    assertThat(SearchScope.user("u1").withMetadata("lang", "en").metadataEquals())
        .isEqualTo(Map.of("lang", "en"));
  }
}
