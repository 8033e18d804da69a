package dev.shears.plugins.scoring;

import java.nio.DoubleBuffer;
import java.util.stream.IntStream;

/**
 * Moves a layer's weights to where its pruned-model input reproduces the dense model's
 * output, before SparseGPT prunes them (ALGORITHM.md, "SparseGPT with dense targets").
 *
 * <p>SparseGPT minimises {@code ‖X w − X w'‖²} over the kept weights {@code w'} of each row,
 * with {@code X} the layer's input. In sequential mode {@code X} comes from the blocks pruned
 * so far, so that target is the already degraded model's output. Aiming at the dense model's
 * output {@code X_d w} instead changes only the starting point: with {@code H = XᵀX} and
 * {@code C = X_dᵀX}, the residual of {@code w̃ = H⁻¹ Cᵀ w} is orthogonal to {@code X}, so
 * {@code ‖X_d w − X w'‖² = ‖X (w̃ − w')‖² + const}, and SparseGPT run on {@code w̃} with the
 * same {@code H} solves the dense-target problem. Dampening {@code λ} is added to both
 * {@code H} and {@code C} (a pull of {@code w'} toward {@code w}), so that {@code w̃ = w}
 * exactly when the two inputs are the same; a dead input's repaired diagonal entry is
 * repeated in {@code C} for the same reason.
 */
final class DenseTargets {
  private DenseTargets() {}

  /**
   * Rewrites {@code w} ({@code rows × n}, row-major) as {@code w̃ᵀ = wᵀ C' H'⁻¹}, with
   * {@code H'⁻¹ = Uᵀ U} from {@code factor} and {@code C' = (2/tokens) C + λ I}.
   *
   * @param cross {@code C = X_dᵀ X}, row-major {@code n × n}, in the units of the Gram matrix
   */
  static void apply(float[] w, int rows, int n, DoubleBuffer cross, long tokens, HessianFactor factor) {
    double scale = 2.0 / tokens;
    double[] c = new double[n * n];
    for (int i = 0; i < c.length; i++) {
      c[i] = scale * cross.get(i);
    }
    for (int i = 0; i < n; i++) {
      if (factor.dead()[i]) {
        c[i * n + i] = 1;
      }
      c[i * n + i] += factor.damp();
    }
    double[] u = factor.upper();
    IntStream.range(0, rows).parallel().forEach(r -> {
      int base = r * n;
      double[] a = new double[n];
      for (int i = 0; i < n; i++) {
        double wi = w[base + i];
        if (wi != 0) {
          int row = i * n;
          for (int j = 0; j < n; j++) {
            a[j] += wi * c[row + j];
          }
        }
      }
      // b = a Uᵀ: b_k = Σ_{j ≥ k} U_kj a_j
      double[] b = new double[n];
      for (int k = 0; k < n; k++) {
        double sum = 0;
        int row = k * n;
        for (int j = k; j < n; j++) {
          sum += u[row + j] * a[j];
        }
        b[k] = sum;
      }
      // w̃ = b U: w̃_j = Σ_{k ≤ j} b_k U_kj
      double[] out = new double[n];
      for (int k = 0; k < n; k++) {
        double bk = b[k];
        int row = k * n;
        for (int j = k; j < n; j++) {
          out[j] += bk * u[row + j];
        }
      }
      for (int j = 0; j < n; j++) {
        w[base + j] = (float) out[j];
      }
    });
  }
}
