package dev.shears.plugins.scoring;

import dev.shears.api.Layer;
import java.nio.DoubleBuffer;

/**
 * SparseGPT's view of a layer's curvature: the upper Cholesky factor {@code U} of
 * {@code H⁻¹} ({@code H⁻¹ = Uᵀ U}), where {@code H = (2/n) XᵀX}, dead inputs get
 * {@code H_ii = 1}, and {@code dampening × mean(diag H)} is added to the diagonal.
 *
 * <p>{@code U} is found without forming {@code H⁻¹}: with {@code J} the reversal permutation,
 * the lower Cholesky factor {@code L'} of {@code J H J} gives {@code H = V Vᵀ} for the upper
 * triangular {@code V = J L' J}, hence {@code H⁻¹ = V⁻ᵀ V⁻¹} and {@code U = V⁻¹ = J L'⁻¹ J}.
 * That is one factorisation and one triangular inverse instead of the reference's three
 * factorisation-sized steps, and {@code U} is the same unique factor with a positive diagonal.
 * Reversing both axes of a row-major square matrix is reversing its flat array.
 *
 * @param upper {@code U}, row-major {@code columns × columns}, zero below the diagonal
 * @param dead per input feature, whether it never fired ({@code H_ii == 0} before repair)
 */
record HessianFactor(double[] upper, boolean[] dead) {

  static HessianFactor of(Layer layer, double dampening) {
    int n = layer.columns();
    long tokens = layer.tokens();
    if (tokens <= 0) {
      throw new IllegalStateException(
          "layer " + layer.name() + " has no calibration statistics for SparseGPT");
    }
    DoubleBuffer gram = layer.inputGram();
    double scale = 2.0 / tokens;
    double[] h = new double[n * n];
    for (int i = 0; i < h.length; i++) {
      h[i] = scale * gram.get(i);
    }
    boolean[] dead = new boolean[n];
    double trace = 0;
    for (int i = 0; i < n; i++) {
      if (h[i * n + i] == 0) {
        // An input that is always zero: its weights never matter on the calibration data.
        dead[i] = true;
        h[i * n + i] = 1;
      }
      trace += h[i * n + i];
    }
    double damp = dampening * trace / n;
    for (int i = 0; i < n; i++) {
      h[i * n + i] += damp;
    }
    reverse(h);
    if (!Cholesky.factorLowerInPlace(h, n)) {
      throw new IllegalStateException(
          "the input Hessian of layer " + layer.name()
              + " is not positive definite; raise scorer.dampening");
    }
    double[] upper = Cholesky.invertLower(h, n);
    reverse(upper);
    return new HessianFactor(upper, dead);
  }

  private static void reverse(double[] a) {
    for (int i = 0, j = a.length - 1; i < j; i++, j--) {
      double t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
