package dev.polydb.api;

import dev.polydb.api.internal.Check;

/**
 * A refresh token as handed out once, at issue or rotation. {@link #token()} is the only copy of
 * the secret: the database keeps its SHA-256. {@link #toString()} never shows it.
 *
 * @param token the secret: 256 random bits, base64url without padding
 * @param record the stored token
 */
public record IssuedToken(String token, RefreshToken record) {

  /**
   * Validates the record.
   *
   * @throws DbValidationException when a field is missing
   */
  public IssuedToken {
    Check.nonBlank("token", token);
    Check.notNull("record", record);
  }

  @Override
  public String toString() {
    return "IssuedToken[token=<redacted>, record=" + record + "]";
  }
}
