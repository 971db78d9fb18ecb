package dev.polydb.sqlite.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The kernel on the Vector API: the widest vectors the processor has, four fused multiply-add
 * chains. Compiled apart from the rest of the module, with the incubator module, and loaded only
 * when the JVM has it ({@link Kernel#best}).
 */
public final class VectorApiKernel implements Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  /** Creates the kernel. */
  public VectorApiKernel() {}

  @Override
  public float dot(float[] q, float[] rows, int offset) {
    int n = q.length;
    int width = S.length();
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int i = 0;
    for (; i <= n - 4 * width; i += 4 * width) {
      int o = offset + i;
      a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, rows, o), a0);
      a1 =
          FloatVector.fromArray(S, q, i + width).fma(FloatVector.fromArray(S, rows, o + width), a1);
      a2 =
          FloatVector.fromArray(S, q, i + 2 * width)
              .fma(FloatVector.fromArray(S, rows, o + 2 * width), a2);
      a3 =
          FloatVector.fromArray(S, q, i + 3 * width)
              .fma(FloatVector.fromArray(S, rows, o + 3 * width), a3);
    }
    for (; i <= n - width; i += width) {
      a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, rows, offset + i), a0);
    }
    float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      sum += q[i] * rows[offset + i];
    }
    return sum;
  }

  @Override
  public float squaredDistance(float[] q, float[] rows, int offset) {
    int n = q.length;
    int width = S.length();
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    int i = 0;
    for (; i <= n - 2 * width; i += 2 * width) {
      int o = offset + i;
      FloatVector d0 = FloatVector.fromArray(S, q, i).sub(FloatVector.fromArray(S, rows, o));
      FloatVector d1 =
          FloatVector.fromArray(S, q, i + width).sub(FloatVector.fromArray(S, rows, o + width));
      a0 = d0.fma(d0, a0);
      a1 = d1.fma(d1, a1);
    }
    for (; i <= n - width; i += width) {
      FloatVector d =
          FloatVector.fromArray(S, q, i).sub(FloatVector.fromArray(S, rows, offset + i));
      a0 = d.fma(d, a0);
    }
    float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      float d = q[i] - rows[offset + i];
      sum += d * d;
    }
    return sum;
  }
}
