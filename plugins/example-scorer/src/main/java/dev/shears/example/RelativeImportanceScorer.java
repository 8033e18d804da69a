package dev.shears.example;

import dev.shears.api.Layer;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ScoringScorerProvider;
import dev.shears.api.ShearsApi;
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
 * feature whose weights are all small is not wiped out in every row at once.
 *
 * <p>The whole plugin is this class and its line in {@code
 * META-INF/services/dev.shears.api.ScorerProvider}: {@link ScoringScorerProvider} makes it
 * both the provider Shears finds and the scorer it runs, adds the shared {@code group}
 * parameter, and prunes the lowest scores exactly as the built-in scorers do.
 */
public final class RelativeImportanceScorer extends ScoringScorerProvider {

  /** The public no-argument constructor {@link java.util.ServiceLoader} needs; cheap. */
  public RelativeImportanceScorer() {
    super("relative-importance",
        "prunes by |w| relative to its row and column sums (data-free RIA); example plugin",
        ShearsApi.VERSION,  // a compile-time constant: the API this jar was built against
        Set.of(),           // weights only: no calibration data needed
        ParamSpec.ofDouble("columnWeight", 1.0, "weight of the column term; 0 ranks like magnitude within a row"));
  }

  @Override
  protected void check(Params params) {
    double columnWeight = params.getDouble("columnWeight");
    if (columnWeight < 0) {
      // (a range in the ParamSpec would say this too; a check can test anything)
      throw new IllegalArgumentException("scorer.columnWeight must be at least 0, got " + columnWeight);
    }
  }

  @Override
  protected float[] scores(Layer layer, Params params) {
    double columnWeight = params.getDouble("columnWeight");
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
    return scores;
  }

  private static double relative(double a, double sum) {
    return sum == 0 ? 0 : a / sum;
  }
}
