package dev.shears.plugins.scoring;

import dev.shears.api.Layer;
import java.nio.DoubleBuffer;

/**
 * SparseGPT's Hessian of a layer's reconstruction error: {@code H = (2/n) XᵀX} from the input
 * Gram matrix, with {@code H_ii = 1} for dead inputs and {@code dampening × mean(diag H)}
 * added to the diagonal.
 *
 * @param h {@code H}, row-major {@code columns × columns}; owned by the caller
 * @param dead per input feature, whether it never fired ({@code H_ii == 0} before repair)
 * @param columns the layer's input width
 */
record DampedHessian(double[] h, boolean[] dead, int columns) {

  static DampedHessian of(Layer layer, double dampening) {
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
    return new DampedHessian(h, dead, n);
  }
}
