package dev.polydb.api.internal;

import dev.polydb.api.DbValidationException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Input checks shared by the api's records and the providers. Public only so that provider modules
 * can reuse the same rules; it is not part of the supported API.
 */
public final class Check {
  /** Longest identifier accepted: ids, subjects, external ids, JWT ids, document ids. */
  public static final int MAX_IDENTIFIER = 255;

  /** Earliest instant a backend stores: the first millisecond of year 1 (UTC). */
  public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  /** Latest instant a backend stores: the last millisecond of year 9999 (UTC). */
  public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

  private Check() {}

  /**
   * Requires a non-blank identifier of at most {@link #MAX_IDENTIFIER} characters without NUL.
   *
   * @param field the field name used in the error
   * @param value the value
   * @return the value
   * @throws DbValidationException when the value breaks the rule
   */
  public static String identifier(String field, String value) {
    return text(field, nonBlank(field, value), MAX_IDENTIFIER);
  }

  /**
   * Requires a value that is not {@code null} and not blank.
   *
   * @param field the field name used in the error
   * @param value the value
   * @return the value
   * @throws DbValidationException when the value is null or blank
   */
  public static String nonBlank(String field, String value) {
    if (value == null) {
      throw new DbValidationException(field, "must not be null");
    }
    if (value.isBlank()) {
      throw new DbValidationException(field, "must not be blank");
    }
    return value;
  }

  /**
   * Requires text of at most {@code maxChars} characters without a NUL character. {@code null}
   * passes (use {@link #nonBlank} or {@link #notNull} first when the value is required).
   *
   * @param field the field name used in the error
   * @param value the value, or {@code null}
   * @param maxChars the longest accepted length in UTF-16 chars
   * @return the value
   * @throws DbValidationException when the value is too long or holds a NUL
   */
  public static String text(String field, String value, int maxChars) {
    if (value == null) {
      return null;
    }
    if (value.length() > maxChars) {
      throw new DbValidationException(
          field, "must be at most " + maxChars + " characters: " + value.length());
    }
    encodable(field, value);
    return value;
  }

  /**
   * Requires text whose UTF-8 encoding has at most {@code maxBytes} bytes and holds no NUL.
   *
   * @param field the field name used in the error
   * @param value the value, not {@code null}
   * @param maxBytes the longest accepted UTF-8 size
   * @return the UTF-8 size of the value
   * @throws DbValidationException when the value is null, too large or holds a NUL
   */
  public static long utf8(String field, String value, long maxBytes) {
    notNull(field, value);
    encodable(field, value);
    long bytes = utf8Length(value);
    if (bytes > maxBytes) {
      throw new DbValidationException(
          field, "must be at most " + maxBytes + " UTF-8 bytes: " + bytes);
    }
    return bytes;
  }

  /**
   * Requires a non-null value.
   *
   * @param field the field name used in the error
   * @param value the value
   * @param <T> the value's type
   * @return the value
   * @throws DbValidationException when the value is null
   */
  public static <T> T notNull(String field, T value) {
    if (value == null) {
      throw new DbValidationException(field, "must not be null");
    }
    return value;
  }

  /**
   * Requires an instant between {@link #EARLIEST} and {@link #LATEST}, the range every backend
   * stores, and truncates it to milliseconds, the precision every backend keeps.
   *
   * @param field the field name used in the error
   * @param value the value
   * @return the value truncated to milliseconds
   * @throws DbValidationException when the value is null or out of range
   */
  public static Instant instant(String field, Instant value) {
    Instant millis = notNull(field, value).truncatedTo(ChronoUnit.MILLIS);
    if (millis.isBefore(EARLIEST) || millis.isAfter(LATEST)) {
      throw new DbValidationException(
          field, "must be between " + EARLIEST + " and " + LATEST + ": " + value);
    }
    return millis;
  }

  /**
   * Requires a strictly positive duration.
   *
   * @param field the field name used in the error
   * @param value the value
   * @return the value
   * @throws DbValidationException when the value is null, zero or negative
   */
  public static Duration positive(String field, Duration value) {
    notNull(field, value);
    if (value.isZero() || value.isNegative()) {
      throw new DbValidationException(field, "must be positive: " + value);
    }
    return value;
  }

  /**
   * Requires an int within a closed range.
   *
   * @param field the field name used in the error
   * @param value the value
   * @param min the smallest accepted value
   * @param max the largest accepted value
   * @return the value
   * @throws DbValidationException when the value is out of range
   */
  public static int range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw new DbValidationException(
          field, "must be between " + min + " and " + max + ": " + value);
    }
    return value;
  }

  /**
   * Requires a vector of finite floats with the given dimension.
   *
   * @param field the field name used in the error
   * @param vector the vector
   * @param dimension the expected dimension, or {@code 0} to accept any non-empty vector
   * @return the vector
   * @throws DbValidationException when the vector is null, empty, of the wrong dimension or holds
   *     NaN or an infinity
   */
  public static float[] vector(String field, float[] vector, int dimension) {
    notNull(field, vector);
    if (vector.length == 0) {
      throw new DbValidationException(field, "must not be empty");
    }
    if (dimension > 0 && vector.length != dimension) {
      throw new DbValidationException(
          field, "must have dimension " + dimension + " as the store records: " + vector.length);
    }
    for (int i = 0; i < vector.length; i++) {
      if (!Float.isFinite(vector[i])) {
        throw new DbValidationException(
            field, "must hold finite numbers only: " + vector[i] + " at index " + i);
      }
    }
    return vector;
  }

  private static void encodable(String field, String value) {
    int nul = value.indexOf('\0');
    if (nul >= 0) {
      throw new DbValidationException(field, "must not contain a NUL character: at index " + nul);
    }
    // an unpaired surrogate cannot be encoded: drivers store it as '?', which would make two
    // different identifiers equal
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new DbValidationException(
            field, "must be valid UTF-16: unpaired surrogate at index " + i);
      }
    }
  }

  private static long utf8Length(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }
}
