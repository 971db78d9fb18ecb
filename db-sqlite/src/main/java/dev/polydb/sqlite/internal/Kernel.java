package dev.polydb.sqlite.internal;

/**
 * The arithmetic of an exact vector scan: a dot product or squared distance between a query and one
 * row of a row-major matrix, in single precision. Sums are formed in any order, so each result may
 * differ from the exact value by at most {@code (dimension + 2)} units of single-precision rounding
 * relative to the sum of the terms' magnitudes; the scan uses this bound to pick candidates and
 * then scores them exactly (see {@code docs/performance.md}).
 */
public interface Kernel {

  /**
   * The dot product of {@code q} with the row at {@code offset}.
   *
   * @param q the query, of the row length
   * @param rows the matrix
   * @param offset where the row starts
   * @return the dot product
   */
  float dot(float[] q, float[] rows, int offset);

  /**
   * The squared Euclidean distance between {@code q} and the row at {@code offset}.
   *
   * @param q the query, of the row length
   * @param rows the matrix
   * @param offset where the row starts
   * @return the squared distance
   */
  float squaredDistance(float[] q, float[] rows, int offset);

  /**
   * The fastest kernel this JVM offers: the Vector API's when the {@code jdk.incubator.vector}
   * module is present ({@code --add-modules jdk.incubator.vector}), else the scalar one.
   *
   * @return the kernel
   */
  static Kernel best() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      try {
        return (Kernel)
            Class.forName("dev.polydb.sqlite.internal.VectorApiKernel")
                .getDeclaredConstructor()
                .newInstance();
      } catch (ReflectiveOperationException | LinkageError e) {
        // the module is there but the class is not usable: scalar works everywhere
        return new ScalarKernel();
      }
    }
    return new ScalarKernel();
  }
}
