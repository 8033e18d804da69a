package dev.shears.plugins.scoring;

import dev.shears.api.Evidence;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.Scorer;
import java.nio.FloatBuffer;
import java.util.Set;

/** Ranks weights by {@code |W|}: the baseline that needs no calibration data at all. */
public final class MagnitudeScorer implements Scorer {
  private final MaskSelection.Group group;

  /**
   * Creates the scorer.
   *
   * @param group which weights compete
   */
  public MagnitudeScorer(MaskSelection.Group group) {
    this.group = group;
  }

  @Override
  public MaskSelection.Group group() {
    return group;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of();
  }

  @Override
  public PruneResult prune(Layer layer, LayerTarget target) {
    FloatBuffer w = layer.weights();
    float[] scores = new float[layer.rows() * layer.columns()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = Math.abs(w.get(i));
    }
    return PruneResult.maskOnly(
        MaskSelection.select(scores, layer.rows(), layer.columns(), target, group));
  }
}
