package dev.shears.plugins.loss;

/** Numerically stable softmax cross-entropy on rows of float logits, in double. */
final class CrossEntropy {
  private CrossEntropy() {}

  /** Mean over rows of {@code -log softmax(row)[target[row]]}; logits row-major {@code rows × cols}. */
  static double mean(float[] logits, int rows, int cols, int[] targets) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      total += single(logits, r * cols, cols, targets[r]);
    }
    return total / rows;
  }

  /** Mean over rows where the target of row r is column r (the matching pair). */
  static double diagonal(float[] logits, int rows, int cols) {
    double total = 0;
    for (int r = 0; r < rows; r++) {
      total += single(logits, r * cols, cols, r);
    }
    return total / rows;
  }

  static double single(float[] logits, int offset, int cols, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < cols; c++) {
      max = Math.max(max, logits[offset + c]);
    }
    double sum = 0;
    for (int c = 0; c < cols; c++) {
      sum += Math.exp(logits[offset + c] - max);
    }
    return Math.log(sum) + max - logits[offset + target];
  }
}
