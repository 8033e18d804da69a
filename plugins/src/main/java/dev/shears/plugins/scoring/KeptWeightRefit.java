package dev.shears.plugins.scoring;

/**
 * Refits the weights a row keeps to the least-squares optimum for its final mask: with
 * {@code S} the kept inputs and {@code w₀} the dense row, it solves
 * {@code H_SS w_S = (H w₀)_S}, which minimises the layer's reconstruction error
 * {@code (w - w₀) H (w - w₀)ᵀ} over rows that are zero outside {@code S}.
 *
 * <p>Why SparseGPT's own weights are not that optimum: when it prunes column {@code c} it moves
 * the error onto every later column of the row, including columns it prunes later, and what
 * lands on those is thrown away (only partly passed on again). The mask stays SparseGPT's; only
 * the kept values move. Starting from SparseGPT's values the Jacobi-preconditioned conjugate
 * gradient gets close in a few steps (measured on all-MiniLM-L6-v2 at 50%: 5, 10 and 20 steps
 * keep a cosine of 0.961, 0.963 and 0.963, against 0.947 without the refit).
 *
 * <p>A fixed number of steps rather than a tolerance: the cost is predictable and the result is
 * the same on every machine.
 */
final class KeptWeightRefit {
  private final double[] h;
  private final boolean[] dead;
  private final int n;
  private final int steps;

  /**
   * @param hessian the layer's damped Hessian; read, never written
   * @param steps conjugate-gradient steps per row, at least one
   */
  KeptWeightRefit(DampedHessian hessian, int steps) {
    this.h = hessian.h();
    this.dead = hessian.dead();
    this.n = hessian.columns();
    this.steps = steps;
  }

  /**
   * Refits one row in place.
   *
   * @param dense the dense weights, row-major (dead inputs zeroed)
   * @param w the pruned weights, row-major; the row's kept entries are overwritten
   * @param pruned per weight, whether it is pruned
   * @param base the row's offset in the flat arrays
   */
  void refitRow(float[] dense, float[] w, boolean[] pruned, int base) {
    int k = 0;
    int[] kept = new int[n];
    for (int c = 0; c < n; c++) {
      if (!pruned[base + c] && !dead[c]) {
        kept[k++] = c;
      }
    }
    if (k == 0) {
      return;
    }
    // H_SS gathered once, so that every step reads it contiguously; in float (see multiply)
    float[] sub = new float[k * k];
    double[] target = new double[k];
    double[] x = new double[k];
    double[] diagonal = new double[k];
    for (int i = 0; i < k; i++) {
      int row = kept[i] * n;
      double acc = 0;
      for (int c = 0; c < n; c++) {
        acc += h[row + c] * dense[base + c];
      }
      target[i] = acc;
      x[i] = w[base + kept[i]];
      for (int j = 0; j < k; j++) {
        sub[i * k + j] = (float) h[row + kept[j]];
      }
      diagonal[i] = sub[i * k + i];
    }
    double[] hp = new double[k];
    float[] vf = new float[k];
    float[] sum = new float[k];
    multiply(sub, k, x, vf, sum, hp);
    double[] residual = new double[k];
    double[] z = new double[k];
    for (int i = 0; i < k; i++) {
      residual[i] = target[i] - hp[i];
      z[i] = residual[i] / diagonal[i];
    }
    double[] p = z.clone();
    double rz = dot(residual, z);
    for (int step = 0; step < steps && rz > 0; step++) {
      multiply(sub, k, p, vf, sum, hp);
      double curvature = dot(p, hp);
      if (!(curvature > 0)) {
        break;
      }
      double alpha = rz / curvature;
      for (int i = 0; i < k; i++) {
        x[i] += alpha * p[i];
        residual[i] -= alpha * hp[i];
        z[i] = residual[i] / diagonal[i];
      }
      double next = dot(residual, z);
      double beta = next / rz;
      rz = next;
      for (int i = 0; i < k; i++) {
        p[i] = z[i] + beta * p[i];
      }
    }
    for (int i = 0; i < k; i++) {
      w[base + kept[i]] = (float) x[i];
    }
  }

  /**
   * {@code out = a v} for the symmetric row-major {@code k × k} matrix {@code a}, as a sum of its
   * rows scaled by {@code v}, four rows at a time: the inner loop has no reduction, so the JIT
   * vectorises it, and each pass over {@code out} does four rows' work. In float (the refit
   * needs a few digits, not sixteen), which is what makes the loop fast; the caller's vectors
   * stay double. {@code vf} and {@code sum} are scratch of length {@code k}.
   */
  private static void multiply(float[] a, int k, double[] v, float[] vf, float[] sum, double[] out) {
    for (int i = 0; i < k; i++) {
      vf[i] = (float) v[i];
      sum[i] = 0;
    }
    int j = 0;
    for (; j + 3 < k; j += 4) {
      float v0 = vf[j];
      float v1 = vf[j + 1];
      float v2 = vf[j + 2];
      float v3 = vf[j + 3];
      int r0 = j * k;
      int r1 = r0 + k;
      int r2 = r1 + k;
      int r3 = r2 + k;
      for (int i = 0; i < k; i++) {
        sum[i] += v0 * a[r0 + i] + v1 * a[r1 + i] + v2 * a[r2 + i] + v3 * a[r3 + i];
      }
    }
    for (; j < k; j++) {
      float vj = vf[j];
      int row = j * k;
      for (int i = 0; i < k; i++) {
        sum[i] += vj * a[row + i];
      }
    }
    for (int i = 0; i < k; i++) {
      out[i] = sum[i];
    }
  }

  private static double dot(double[] a, double[] b) {
    double acc = 0;
    for (int i = 0; i < a.length; i++) {
      acc += a[i] * b[i];
    }
    return acc;
  }
}
