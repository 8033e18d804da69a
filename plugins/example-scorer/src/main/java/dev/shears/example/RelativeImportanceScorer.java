package dev.shears.example;

import dev.shears.api.Evidence;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.Scorer;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Relative importance, the data-free part of RIA (Zhang et al., "Plug-and-Play", ICLR 2024):
 *
 * <pre>
 *   score(r, c) = |W[r,c]| / sum_j |W[r,j]|  +  columnWeight * |W[r,c]| / sum_i |W[i,c]|
 * </pre>
 *
 * <p>A weight counts for more when it is large compared with the other weights of its row
 * (the same output) and of its column (the same input). Unlike plain magnitude, an input
 * feature whose weights are all small is not wiped out in every row at once. The lowest
 * scores are pruned by {@link MaskSelection}, so counts, N:M patterns and ties behave exactly
 * as for the built-in scorers.
 */
public final class RelativeImportanceScorer implements Scorer {
  private final double columnWeight;
  private final MaskSelection.Group group;

  /**
   * Creates the scorer.
   *
   * @param columnWeight weight of the column term, at least 0
   * @param group which weights compete
   */
  public RelativeImportanceScorer(double columnWeight, MaskSelection.Group group) {
    this.columnWeight = columnWeight;
    this.group = group;
  }

  @Override
  public MaskSelection.Group group() {
    return group;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of(); // weights only: no calibration data needed
  }

  @Override
  public PruneResult prune(Layer layer, LayerTarget target) {
    int rows = layer.rows();
    int columns = layer.columns();
    FloatBuffer w = layer.weights();
    double[] rowSums = new double[rows];
    double[] columnSums = new double[columns];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns; c++) {
        double a = Math.abs((double) w.get(r * columns + c));
        rowSums[r] += a;
        columnSums[c] += a;
      }
    }
    float[] scores = new float[rows * columns];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns; c++) {
        double a = Math.abs((double) w.get(r * columns + c));
        scores[r * columns + c] =
            (float) (relative(a, rowSums[r]) + columnWeight * relative(a, columnSums[c]));
      }
    }
    return PruneResult.maskOnly(MaskSelection.select(scores, rows, columns, target, group));
  }

  private static double relative(double a, double sum) {
    return sum == 0 ? 0 : a / sum;
  }
}
