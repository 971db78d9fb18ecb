package dev.polydb.api;

import dev.polydb.api.internal.Check;
import java.util.Optional;

/**
 * What an identity provider tells about a user. Every field is optional.
 *
 * @param email the e-mail address, at most 320 characters
 * @param displayName the display name, at most 256 characters
 * @param avatarUrl the avatar URL, at most 2048 characters
 */
public record UserProfile(
    Optional<String> email, Optional<String> displayName, Optional<String> avatarUrl) {

  /** An empty profile. */
  public static final UserProfile EMPTY = of(null, null, null);

  /**
   * Validates the profile.
   *
   * @throws DbValidationException when a field is too long or holds a NUL
   */
  public UserProfile {
    email = Check.notNull("email", email);
    displayName = Check.notNull("displayName", displayName);
    avatarUrl = Check.notNull("avatarUrl", avatarUrl);
    email.ifPresent(v -> Check.text("email", v, 320));
    displayName.ifPresent(v -> Check.text("displayName", v, 256));
    avatarUrl.ifPresent(v -> Check.text("avatarUrl", v, 2048));
  }

  /**
   * Creates a profile from nullable values.
   *
   * @param email the e-mail address, or {@code null}
   * @param displayName the display name, or {@code null}
   * @param avatarUrl the avatar URL, or {@code null}
   * @return the profile
   * @throws DbValidationException when a field is too long or holds a NUL
   */
  public static UserProfile of(String email, String displayName, String avatarUrl) {
    return new UserProfile(
        Optional.ofNullable(email),
        Optional.ofNullable(displayName),
        Optional.ofNullable(avatarUrl));
  }
}
