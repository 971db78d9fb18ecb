package dev.polydb.jooq;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * UUIDv7 ids (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation
 * time. Within one millisecond this generator keeps them increasing by counting in the random part,
 * which keeps "newest first, then id" orderings stable.
 */
final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final Clock clock;
  private long lastMillis = -1;
  private long lastCounter;

  Ids(Clock clock) {
    this.clock = clock;
  }

  synchronized String next() {
    long millis = clock.millis();
    long counter;
    if (millis <= lastMillis) {
      millis = lastMillis;
      counter = lastCounter + 1;
    } else {
      counter = RANDOM.nextLong() & 0x3FFFFFFFFFFL; // 42 bits, leaving room to count up
    }
    lastMillis = millis;
    lastCounter = counter;
    long hi = (millis << 16) | 0x7000L | ((counter >>> 30) & 0x0FFFL);
    long lo =
        0x8000000000000000L | ((counter & 0x3FFFFFFFL) << 32) | (RANDOM.nextInt() & 0xFFFFFFFFL);
    return format(hi, lo);
  }

  private static String format(long hi, long lo) {
    char[] out = new char[36];
    int p = 0;
    for (int i = 0; i < 32; i++) {
      if (i == 8 || i == 12 || i == 16 || i == 20) {
        out[p++] = '-';
      }
      long word = i < 16 ? hi : lo;
      int shift = (15 - (i % 16)) * 4;
      out[p++] = HEX[(int) ((word >>> shift) & 0xF)];
    }
    return new String(out);
  }
}
