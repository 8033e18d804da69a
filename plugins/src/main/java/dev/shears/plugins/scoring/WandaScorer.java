package dev.shears.plugins.scoring;

import dev.shears.api.Evidence;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.Scorer;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Wanda (Sun et al. 2023): ranks weight {@code (r, c)} by {@code |W[r, c]| × ||X_c||_2}, so a
 * small weight on a loud input feature can outrank a larger weight on a quiet one.
 */
public final class WandaScorer implements Scorer {
  private final MaskSelection.Group group;

  /**
   * Creates the scorer.
   *
   * @param group which weights compete
   */
  public WandaScorer(MaskSelection.Group group) {
    this.group = group;
  }

  @Override
  public MaskSelection.Group group() {
    return group;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of(Evidence.ACTIVATION_NORMS);
  }

  @Override
  public PruneResult prune(Layer layer, LayerTarget target) {
    int rows = layer.rows();
    int columns = layer.columns();
    double[] sumSquares = layer.inputSquareSums();
    double[] norms = new double[columns];
    for (int c = 0; c < columns; c++) {
      norms[c] = Math.sqrt(sumSquares[c]);
    }
    FloatBuffer w = layer.weights();
    float[] scores = new float[rows * columns];
    for (int r = 0; r < rows; r++) {
      int base = r * columns;
      for (int c = 0; c < columns; c++) {
        // The product is taken in double and rounded once, so the ranking does not depend on
        // float rounding of the norm.
        scores[base + c] = (float) (Math.abs(w.get(base + c)) * norms[c]);
      }
    }
    return PruneResult.maskOnly(MaskSelection.select(scores, rows, columns, target, group));
  }
}
