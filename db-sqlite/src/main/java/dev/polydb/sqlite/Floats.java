package dev.polydb.sqlite;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Embeddings as SQLite stores them: float32, little-endian, packed. */
final class Floats {
  private Floats() {}

  static byte[] encode(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  static float[] decode(byte[] bytes) {
    if (bytes.length % Float.BYTES != 0) {
      throw new IllegalStateException(
          "embedding blob of " + bytes.length + " bytes is not float32");
    }
    float[] v = new float[bytes.length / Float.BYTES];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }
}
