package dev.polydb.cli.internal;

/** IEEE 754 binary16 bits of a float that holds a half-precision value exactly. */
final class HalfPrecision {
  private HalfPrecision() {}

  /**
   * The binary16 bits of a float's value.
   *
   * @param floatBits the float's bits
   * @return the half's bits, in the low 16 bits
   * @throws IllegalArgumentException when the value has no exact half-precision form
   */
  static int fromFloatBits(int floatBits) {
    int sign = (floatBits >>> 16) & 0x8000;
    int exponent = (floatBits >>> 23) & 0xFF;
    int mantissa = floatBits & 0x7FFFFF;
    if (exponent == 0 && mantissa == 0) {
      return sign; // zero, either sign
    }
    int unbiased = exponent - 127;
    if (exponent == 0xFF || unbiased > 15) {
      throw new IllegalArgumentException("not a half-precision value");
    }
    if (unbiased >= -14) { // normal half: 10 fraction bits, the 13 dropped must be zero
      if ((mantissa & 0x1FFF) != 0) {
        throw new IllegalArgumentException("not a half-precision value");
      }
      return sign | (unbiased + 15) << 10 | mantissa >>> 13;
    }
    // subnormal half: value = m * 2^-24 with m < 1024
    int shift = -14 - unbiased; // 1.. : how far below the smallest normal
    int full = mantissa | 0x800000; // the implicit leading bit
    int drop = 13 + shift;
    if (drop > 24 || (full & ((1 << drop) - 1)) != 0) {
      throw new IllegalArgumentException("not a half-precision value");
    }
    return sign | full >>> drop;
  }
}
