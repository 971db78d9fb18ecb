package dev.polydb.cli.internal;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Rows in PostgreSQL's binary COPY format, built in memory one batch at a time: a header, for each
 * row its field count and each field as a length and bytes (-1 for NULL), and a trailer. Binary
 * keeps every value exact (floats bit for bit, text byte for byte) and saves the server parsing.
 */
final class BinaryCopy {
  /** The signature {@code PGCOPY\n\377\r\n\0}, then 32 bits of flags and 32 of extension size. */
  private static final byte[] HEADER =
      ByteBuffer.allocate(19)
          .put("PGCOPY\n".getBytes(StandardCharsets.US_ASCII))
          .put(new byte[] {(byte) 0xFF, '\r', '\n', 0})
          .putInt(0)
          .putInt(0)
          .array();

  /** Microseconds from the Unix epoch to Postgres's, 2000-01-01. */
  private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  private byte[] buffer = new byte[1 << 16];
  private int size;
  private int rows;

  BinaryCopy() {
    reset();
  }

  /** Empties the batch, keeping its buffer, and writes the header. */
  void reset() {
    size = 0;
    rows = 0;
    put(HEADER, 0, HEADER.length);
  }

  /**
   * Starts a row.
   *
   * @param fields how many fields follow
   */
  void startRow(int fields) {
    putShort(fields);
    rows++;
  }

  void putNull() {
    putInt(-1);
  }

  /** A text, json or binary field: its bytes as they are (UTF-8 for text). */
  void putBytes(byte[] value) {
    putInt(value.length);
    put(value, 0, value.length);
  }

  /** A jsonb field: format version 1, then the JSON text. */
  void putJsonb(byte[] json) {
    putInt(json.length + 1);
    ensure(1);
    buffer[size++] = 1;
    put(json, 0, json.length);
  }

  void putInt4(long value) {
    putInt(4);
    putInt(Math.toIntExact(value));
  }

  void putInt8(long value) {
    putInt(8);
    putLong(value);
  }

  void putBoolean(boolean value) {
    putInt(1);
    ensure(1);
    buffer[size++] = (byte) (value ? 1 : 0);
  }

  /** A timestamptz from epoch milliseconds. */
  void putTimestamp(long epochMillis) {
    putInt(8);
    putLong(Math.subtractExact(Math.multiplyExact(epochMillis, 1000L), POSTGRES_EPOCH_MICROS));
  }

  /**
   * A pgvector {@code vector}: dimension, an unused short, then big-endian float32s.
   *
   * @param littleEndian the floats as SQLite stores them
   */
  void putVector(byte[] littleEndian) {
    int dimension = littleEndian.length / 4;
    putInt(4 + littleEndian.length);
    putShort(dimension);
    putShort(0);
    ensure(littleEndian.length);
    for (int i = 0; i < littleEndian.length; i += 4) {
      buffer[size++] = littleEndian[i + 3];
      buffer[size++] = littleEndian[i + 2];
      buffer[size++] = littleEndian[i + 1];
      buffer[size++] = littleEndian[i];
    }
  }

  /**
   * A pgvector {@code halfvec}: dimension, an unused short, then big-endian float16s. The library
   * stores such embeddings already rounded to half precision, so the conversion is exact.
   *
   * @param littleEndian the floats as SQLite stores them
   * @throws IllegalArgumentException when a value is not a half-precision value
   */
  void putHalfVector(byte[] littleEndian) {
    int dimension = littleEndian.length / 4;
    putInt(4 + 2 * dimension);
    putShort(dimension);
    putShort(0);
    for (int i = 0; i < littleEndian.length; i += 4) {
      int bits =
          (littleEndian[i] & 0xFF)
              | (littleEndian[i + 1] & 0xFF) << 8
              | (littleEndian[i + 2] & 0xFF) << 16
              | (littleEndian[i + 3] & 0xFF) << 24;
      putShort(HalfPrecision.fromFloatBits(bits));
    }
  }

  /** Ends the batch with the trailer and returns its bytes, valid until the next reset. */
  InputStream finish() {
    putShort(-1);
    return new ByteArrayInputStream(buffer, 0, size);
  }

  int rows() {
    return rows;
  }

  int size() {
    return size;
  }

  private void putShort(int value) {
    ensure(2);
    buffer[size++] = (byte) (value >>> 8);
    buffer[size++] = (byte) value;
  }

  private void putInt(int value) {
    ensure(4);
    buffer[size++] = (byte) (value >>> 24);
    buffer[size++] = (byte) (value >>> 16);
    buffer[size++] = (byte) (value >>> 8);
    buffer[size++] = (byte) value;
  }

  private void putLong(long value) {
    putInt((int) (value >>> 32));
    putInt((int) value);
  }

  private void put(byte[] bytes, int offset, int length) {
    ensure(length);
    System.arraycopy(bytes, offset, buffer, size, length);
    size += length;
  }

  private void ensure(int more) {
    if (size + more > buffer.length) {
      // by half again, not double: a batch that ends just past its cap wastes less
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length + (buffer.length >> 1), size + more));
    }
  }
}
