package dev.polydb.api;

import java.time.Instant;

/**
 * Revoked JWT ids. {@link #isRevoked} sits on every authenticated request, so positive answers are
 * cached in-process until the JWT id's expiry; negative answers are not cached unless a negative
 * cache TTL is configured. Obtain it from {@link DbProvider#jtis()}.
 */
public interface RevokedJtis {

  /**
   * Revokes a JWT id until {@code expiresAt}. Idempotent: revoking it again changes nothing.
   *
   * @param jti the JWT id
   * @param userId the user it was issued to, or {@code null}
   * @param expiresAt when the JWT expires, in years 1 to 9999 (UTC); after it the revocation may be
   *     pruned
   * @throws DbValidationException when an argument is invalid
   * @throws DbNotFoundException when {@code userId} is given and does not exist
   * @throws DbReadOnlyException when mutations are disabled
   */
  void revoke(String jti, String userId, Instant expiresAt);

  /**
   * Whether the JWT id is revoked and its revocation has not expired.
   *
   * @param jti the JWT id
   * @return {@code true} when revoked
   * @throws DbValidationException when the id is invalid
   */
  boolean isRevoked(String jti);

  /**
   * Deletes revocations whose expiry is at or before {@code now}.
   *
   * @param now the cut-off, in years 1 to 9999 (UTC)
   * @return how many were deleted
   * @throws DbValidationException when {@code now} is null or out of that range
   * @throws DbReadOnlyException when mutations are disabled
   */
  int pruneExpired(Instant now);
}
