package dev.shears.plugins.loss;

import java.nio.FloatBuffer;

/**
 * Numerically stable softmax cross-entropy on rows of float logits, in double. The logits are
 * read with absolute gets, so a tensor's read-only view is used as it is, without a copy.
 */
final class CrossEntropy {
  private CrossEntropy() {}

  /** Mean over rows of {@code -log softmax(row)[target[row]]}; logits row-major {@code rows × cols}. */
  static double mean(FloatBuffer logits, int rows, int cols, int[] targets) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      total += single(logits, r * cols, cols, targets[r]);
    }
    return total / rows;
  }

  /** Mean over rows where the target of row r is column r (the matching pair). */
  static double diagonal(FloatBuffer logits, int rows, int cols) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      total += single(logits, r * cols, cols, r);
    }
    return total / rows;
  }

  static double single(FloatBuffer logits, int offset, int cols, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < cols; c++) {
      max = Math.max(max, logits.get(offset + c));
    }
    double sum = 0;
    for (int c = 0; c < cols; c++) {
      sum += Math.exp(logits.get(offset + c) - max);
    }
    return Math.log(sum) + max - logits.get(offset + target);
  }
}
