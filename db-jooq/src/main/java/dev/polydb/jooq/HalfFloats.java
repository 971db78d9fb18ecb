package dev.polydb.jooq;

/**
 * Rounding to IEEE 754 half precision (binary16), as pgvector's {@code halfvec} stores, so that a
 * backend keeping float32 stores and compares the very same values. Java 17 has no {@code
 * Float.floatToFloat16}, hence this.
 */
final class HalfFloats {
  /** binary16 keeps 10 fraction bits. */
  private static final int FRACTION_BITS = 10;

  /** The smallest normal binary16 exponent; below it the spacing stays 2^-24 (subnormals). */
  private static final int MIN_EXPONENT = -14;

  private HalfFloats() {}

  /**
   * The nearest half-precision value, ties to even.
   *
   * @param x a finite float within the half-precision range
   * @return {@code x} rounded to half precision, as a float
   */
  static float round(float x) {
    if (x == 0f) {
      return x;
    }
    int exponent = Math.max(Math.getExponent(x), MIN_EXPONENT);
    double spacing = Math.scalb(1.0, exponent - FRACTION_BITS);
    // dividing and multiplying by a power of two is exact; rint rounds ties to even
    return (float) (Math.rint(x / spacing) * spacing);
  }
}
