package dev.shears.plugins.scoring;

import java.util.stream.IntStream;

/**
 * Dense Cholesky factorisation and triangular inversion in double precision, row-major. Just
 * enough linear algebra for {@link HessianFactor}; no external library is pulled in for it.
 */
final class Cholesky {
  /** Below this much work per step the fork-join overhead outweighs the gain. */
  private static final long PARALLEL_WORK = 1L << 15;

  private Cholesky() {}

  /**
   * Overwrites the symmetric positive-definite {@code a} with its lower factor {@code L}
   * ({@code a = L Lᵀ}); only the lower triangle of {@code a} is read, the upper one is zeroed.
   *
   * @return false when {@code a} is not (numerically) positive definite; {@code a} is then
   *     left partly overwritten
   */
  static boolean factorLowerInPlace(double[] a, int n) {
    for (int j = 0; j < n; j++) {
      int rowJ = j * n;
      double pivot = a[rowJ + j];
      for (int k = 0; k < j; k++) {
        pivot -= a[rowJ + k] * a[rowJ + k];
      }
      if (!(pivot > 0) || !Double.isFinite(pivot)) {
        return false;
      }
      double d = Math.sqrt(pivot);
      a[rowJ + j] = d;
      int col = j;
      // Column j below the diagonal: each row reads only finished columns < j, so rows are
      // independent.
      IntStream rows = IntStream.range(j + 1, n);
      if ((long) (n - j) * j > PARALLEL_WORK) {
        rows = rows.parallel();
      }
      rows.forEach(
          i -> {
            int rowI = i * n;
            double s = a[rowI + col];
            for (int k = 0; k < col; k++) {
              s -= a[rowI + k] * a[rowJ + k];
            }
            a[rowI + col] = s / d;
          });
    }
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        a[i * n + j] = 0;
      }
    }
    return true;
  }

  /**
   * The inverse of a lower-triangular matrix with a positive diagonal; also lower triangular.
   * Column {@code j} of the inverse solves {@code L x = e_j} by forward substitution, and
   * columns are independent.
   */
  static double[] invertLower(double[] l, int n) {
    double[] inv = new double[n * n];
    IntStream columns = IntStream.range(0, n);
    if ((long) n * n > PARALLEL_WORK) {
      columns = columns.parallel();
    }
    columns.forEach(
        j -> {
          double[] x = new double[n];
          x[j] = 1.0 / l[j * n + j];
          inv[j * n + j] = x[j];
          for (int i = j + 1; i < n; i++) {
            int rowI = i * n;
            double s = 0;
            for (int k = j; k < i; k++) {
              s += l[rowI + k] * x[k];
            }
            x[i] = -s / l[rowI + i];
            inv[rowI + j] = x[i];
          }
        });
    return inv;
  }
}
