package dev.shears.plugins.loss;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.api.ModelRun;
import java.util.Set;

/**
 * CLIP's symmetric InfoNCE: {@code (CE(logits_per_image, diag) + CE(logits_per_text, diag)) / 2},
 * where image i and text i of the batch are a pair.
 */
final class ContrastiveLoss implements CalibrationLoss {
  static final String PER_IMAGE = "logits_per_image";
  static final String PER_TEXT = "logits_per_text";

  @Override
  public boolean appliesTo(Set<String> outputNames) {
    return outputNames.contains(PER_IMAGE) && outputNames.contains(PER_TEXT);
  }

  @Override
  public int preferredBatchSize() {
    return 16;
  }

  @Override
  public double loss(ModelRun candidate, ModelRun dense) {
    FloatTensor perImage = candidate.output(PER_IMAGE);
    FloatTensor perText = candidate.output(PER_TEXT);
    double i2t = CrossEntropy.diagonal(perImage.values(), perImage.dim(0), perImage.dim(1));
    double t2i = CrossEntropy.diagonal(perText.values(), perText.dim(0), perText.dim(1));
    return (i2t + t2i) / 2;
  }
}
