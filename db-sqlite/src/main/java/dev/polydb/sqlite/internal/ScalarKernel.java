package dev.polydb.sqlite.internal;

/**
 * The kernel without the Vector API: eight independent sums, so that the processor overlaps the
 * additions instead of waiting on one dependent chain (and the JIT may pack them into vector
 * instructions).
 */
public final class ScalarKernel implements Kernel {

  /** Creates the kernel. */
  public ScalarKernel() {}

  @Override
  public float dot(float[] q, float[] rows, int offset) {
    int n = q.length;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int i = 0;
    for (; i <= n - 8; i += 8) {
      int o = offset + i;
      s0 += q[i] * rows[o];
      s1 += q[i + 1] * rows[o + 1];
      s2 += q[i + 2] * rows[o + 2];
      s3 += q[i + 3] * rows[o + 3];
      s4 += q[i + 4] * rows[o + 4];
      s5 += q[i + 5] * rows[o + 5];
      s6 += q[i + 6] * rows[o + 6];
      s7 += q[i + 7] * rows[o + 7];
    }
    for (; i < n; i++) {
      s0 += q[i] * rows[offset + i];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  @Override
  public float squaredDistance(float[] q, float[] rows, int offset) {
    int n = q.length;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    int i = 0;
    for (; i <= n - 8; i += 8) {
      int o = offset + i;
      float d0 = q[i] - rows[o];
      float d1 = q[i + 1] - rows[o + 1];
      float d2 = q[i + 2] - rows[o + 2];
      float d3 = q[i + 3] - rows[o + 3];
      float d4 = q[i + 4] - rows[o + 4];
      float d5 = q[i + 5] - rows[o + 5];
      float d6 = q[i + 6] - rows[o + 6];
      float d7 = q[i + 7] - rows[o + 7];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
      s4 += d4 * d4;
      s5 += d5 * d5;
      s6 += d6 * d6;
      s7 += d7 * d7;
    }
    for (; i < n; i++) {
      float d = q[i] - rows[offset + i];
      s0 += d * d;
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }
}
