package dev.polydb.api;

import java.util.Optional;

/**
 * What {@link RefreshTokens#rotate} did. Exactly one of several concurrent rotations of a token is
 * {@link Rotated}; the others are {@link AlreadyRotated}.
 */
public sealed interface RotationResult {

  /**
   * The new token, present only for {@link Rotated}.
   *
   * @return the new token, or empty
   */
  default Optional<IssuedToken> issued() {
    return Optional.empty();
  }

  /**
   * The token was rotated; {@link #next()} replaces it. Inside the reuse grace window, presenting
   * the immediate parent again returns the same child.
   *
   * @param next the new token
   */
  record Rotated(IssuedToken next) implements RotationResult {
    /**
     * Validates the record.
     *
     * @throws DbValidationException when {@code next} is null
     */
    public Rotated {
      if (next == null) {
        throw new DbValidationException("next", "must not be null");
      }
    }

    @Override
    public Optional<IssuedToken> issued() {
      return Optional.of(next);
    }
  }

  /** A concurrent call rotated the token first: the token was live when this call saw it. */
  record AlreadyRotated() implements RotationResult {}

  /**
   * The token had been rotated before and was presented again outside the grace window: the whole
   * family is revoked (and stays revoked, whatever the caller does next).
   *
   * @param familyId the revoked family
   * @param revokedCount how many live tokens this revoked
   */
  record ReuseDetected(String familyId, int revokedCount) implements RotationResult {}

  /**
   * The token is unknown, belongs to another user, is expired or is revoked.
   *
   * @param reason why it was refused
   */
  record Invalid(Reason reason) implements RotationResult {}

  /** Why a token was refused. */
  enum Reason {
    /** No token has this value. */
    UNKNOWN,
    /** The token belongs to another user. */
    WRONG_USER,
    /** The token (or its family) is past its expiry. */
    EXPIRED,
    /** The token was revoked. */
    REVOKED
  }
}
