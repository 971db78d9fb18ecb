package dev.polydb.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Refresh tokens, stored as SHA-256 hashes, grouped in families with rotation and reuse detection.
 * Obtain it from {@link DbProvider#refreshTokens()}.
 */
public interface RefreshTokens {

  /**
   * Issues a token that starts a new family, with the default TTL and no fingerprint.
   *
   * @param userId the owner
   * @return the token; its secret is not stored and cannot be read again
   * @throws DbNotFoundException when the user does not exist
   * @throws DbValidationException when the id is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  default IssuedToken issue(String userId) {
    return issue(userId, null, null);
  }

  /**
   * Issues a token that starts a new family.
   *
   * @param userId the owner
   * @param ttl the lifetime, or {@code null} for the configured default (30 days); one reaching
   *     past year 9999 (UTC) ends at its last millisecond
   * @param fingerprint a device fingerprint, or {@code null}
   * @return the token; its secret is not stored and cannot be read again
   * @throws DbNotFoundException when the user does not exist
   * @throws DbValidationException when an argument is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  IssuedToken issue(String userId, Duration ttl, String fingerprint);

  /**
   * Finds a token that can be used now: known, not revoked, not rotated, not expired.
   *
   * @param token the secret as handed out
   * @return the stored token, or empty
   * @throws DbValidationException when the token is blank or too long
   */
  Optional<RefreshToken> findValid(String token);

  /**
   * Exchanges a live token for a new one in the same family, with one conditional write. The new
   * token's expiry never passes the family's absolute lifetime.
   *
   * @param token the secret as handed out
   * @param userId the user that presents it
   * @return what happened; only {@link RotationResult.Rotated} carries a new token
   * @throws DbValidationException when an argument is blank or too long
   * @throws DbReadOnlyException when mutations are disabled
   */
  RotationResult rotate(String token, String userId);

  /**
   * Revokes one token. Idempotent.
   *
   * @param token the secret as handed out
   * @return {@code true} when this call revoked it, {@code false} when it was unknown or already
   *     revoked
   * @throws DbValidationException when the token is blank or too long
   * @throws DbReadOnlyException when mutations are disabled
   */
  boolean revoke(String token);

  /**
   * Revokes every unrevoked token of a user.
   *
   * @param userId the user
   * @return how many tokens this call revoked
   * @throws DbValidationException when the id is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  int revokeAllForUser(String userId);

  /**
   * Deletes tokens whose expiry is at or before {@code now}, {@code batchSize} rows per
   * transaction.
   *
   * @param now the cut-off, in years 1 to 9999 (UTC)
   * @param batchSize rows per delete, 1 to 10,000
   * @return how many tokens were deleted
   * @throws DbValidationException when an argument is invalid
   * @throws DbReadOnlyException when mutations are disabled
   */
  int pruneExpired(Instant now, int batchSize);
}
