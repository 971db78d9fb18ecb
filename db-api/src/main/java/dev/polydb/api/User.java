package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Optional;

/**
 * A user, identified by one OAuth identity {@code (provider, providerSubject)}.
 *
 * @param id the library-generated id (UUIDv7)
 * @param provider the identity provider, e.g. {@code google}
 * @param providerSubject the provider's subject for this user
 * @param profile the profile the provider last reported
 * @param createdAt when the user was created
 * @param updatedAt when the user was last written
 * @param lastLoginAt when the user last signed in through {@link Users#upsert}
 */
public record User(
    String id,
    String provider,
    String providerSubject,
    UserProfile profile,
    Instant createdAt,
    Instant updatedAt,
    Optional<Instant> lastLoginAt) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a required field is missing
   */
  public User {
    Check.identifier("id", id);
    Check.identifier("provider", provider);
    Check.identifier("providerSubject", providerSubject);
    Check.notNull("profile", profile);
    Check.notNull("createdAt", createdAt);
    Check.notNull("updatedAt", updatedAt);
    Check.notNull("lastLoginAt", lastLoginAt);
  }
}
