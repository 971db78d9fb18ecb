package dev.polydb.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The floor's dot product on the Vector API: the widest vectors the processor has, four fused
 * multiply-add chains. Compiled apart, with the incubator module, and loaded only when the JVM has
 * it ({@link Floor#vectorApi}).
 */
final class VectorApiFloor extends Floor {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  VectorApiFloor(float[] rows, int count, int dimension) {
    super(rows, count, dimension);
  }

  @Override
  float dot(float[] q, float[] m, int offset, int n) {
    int width = S.length();
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = FloatVector.zero(S);
    FloatVector a2 = FloatVector.zero(S);
    FloatVector a3 = FloatVector.zero(S);
    int i = 0;
    for (; i <= n - 4 * width; i += 4 * width) {
      int o = offset + i;
      a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, m, o), a0);
      a1 = FloatVector.fromArray(S, q, i + width).fma(FloatVector.fromArray(S, m, o + width), a1);
      a2 =
          FloatVector.fromArray(S, q, i + 2 * width)
              .fma(FloatVector.fromArray(S, m, o + 2 * width), a2);
      a3 =
          FloatVector.fromArray(S, q, i + 3 * width)
              .fma(FloatVector.fromArray(S, m, o + 3 * width), a3);
    }
    for (; i <= n - width; i += width) {
      a0 = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, m, offset + i), a0);
    }
    float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      sum += q[i] * m[offset + i];
    }
    return sum;
  }
}
