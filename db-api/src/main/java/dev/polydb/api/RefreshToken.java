package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.time.Instant;
import java.util.Optional;

/**
 * A stored refresh token. The token itself is never stored, only its SHA-256, so this record does
 * not carry it; see {@link IssuedToken}.
 *
 * @param id the token id (UUIDv7)
 * @param userId the owner
 * @param familyId the family: every token rotated from one sign-in on one device
 * @param parentId the token this one was rotated from, empty for the first of a family
 * @param fingerprint an optional device fingerprint given at issue
 * @param issuedAt when the token was issued
 * @param expiresAt when the token expires; never after {@code familyExpiresAt}
 * @param familyExpiresAt the absolute end of the family, fixed at the first issue
 * @param rotatedAt when the token was rotated, if it was
 * @param revokedAt when the token was revoked, if it was
 */
public record RefreshToken(
    String id,
    String userId,
    String familyId,
    Optional<String> parentId,
    Optional<String> fingerprint,
    Instant issuedAt,
    Instant expiresAt,
    Instant familyExpiresAt,
    Optional<Instant> rotatedAt,
    Optional<Instant> revokedAt) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a required field is missing
   */
  public RefreshToken {
    Check.identifier("id", id);
    Check.identifier("userId", userId);
    Check.identifier("familyId", familyId);
    Check.notNull("parentId", parentId);
    Check.notNull("fingerprint", fingerprint);
    Check.notNull("issuedAt", issuedAt);
    Check.notNull("expiresAt", expiresAt);
    Check.notNull("familyExpiresAt", familyExpiresAt);
    Check.notNull("rotatedAt", rotatedAt);
    Check.notNull("revokedAt", revokedAt);
  }
}
