package dev.shears.plugins.scoring;

import dev.shears.api.Layer;

/**
 * SparseGPT's view of a layer's curvature: the upper Cholesky factor {@code U} of
 * {@code H⁻¹} ({@code H⁻¹ = Uᵀ U}), with {@code H} the {@link DampedHessian}.
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
    DampedHessian damped = DampedHessian.of(layer, dampening);
    int n = damped.columns();
    double[] h = damped.h();
    reverse(h);
    if (!Cholesky.factorLowerInPlace(h, n)) {
      throw new IllegalStateException(
          "the input Hessian of layer " + layer.name()
              + " is not positive definite; raise scorer.dampening");
    }
    double[] upper = Cholesky.invertLower(h, n);
    reverse(upper);
    return new HessianFactor(upper, damped.dead());
  }

  private static void reverse(double[] a) {
    for (int i = 0, j = a.length - 1; i < j; i++, j--) {
      double t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
