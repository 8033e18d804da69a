package dev.shears.plugins.allocation;

import dev.shears.api.Block;
import dev.shears.api.Layer;
import java.nio.FloatBuffer;

/**
 * OWL's per-block statistic: the percentage of the block's Wanda scores
 * {@code |W[r, c]| × sqrt(Σ x_c²)} that exceed {@code M} times their mean, over all of the
 * block's layers taken together. Blocks rich in such outliers are the ones OWL keeps denser.
 */
final class OutlierRatio {
  private OutlierRatio() {}

  /**
   * The outlier percentage of one block.
   *
   * @param block the block, with activation norms gathered
   * @param threshold {@code M}: a score is an outlier when strictly above {@code M × mean}
   * @return a percentage in {@code [0, 100]}; zero for a block without weights
   */
  static double of(Block block, double threshold) {
    // Two passes instead of storing the scores: blocks can hold millions of weights.
    double sum = 0;
    long count = 0;
    for (Layer layer : block.layers()) {
      double[] norms = norms(layer);
      FloatBuffer w = layer.weights();
      int columns = layer.columns();
      for (int i = 0, size = layer.rows() * columns; i < size; i++) {
        sum += Math.abs(w.get(i)) * norms[i % columns];
      }
      count += (long) layer.rows() * columns;
    }
    if (count == 0) {
      return 0;
    }
    double limit = threshold * (sum / count);
    long outliers = 0;
    for (Layer layer : block.layers()) {
      double[] norms = norms(layer);
      FloatBuffer w = layer.weights();
      int columns = layer.columns();
      for (int i = 0, size = layer.rows() * columns; i < size; i++) {
        if (Math.abs(w.get(i)) * norms[i % columns] > limit) {
          outliers++;
        }
      }
    }
    return 100.0 * outliers / count;
  }

  private static double[] norms(Layer layer) {
    double[] norms = layer.inputSquareSums();
    for (int c = 0; c < norms.length; c++) {
      norms[c] = Math.sqrt(norms[c]);
    }
    return norms;
  }
}
