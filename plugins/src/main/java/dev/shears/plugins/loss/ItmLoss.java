package dev.shears.plugins.loss;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ModelRun;
import java.util.Set;

/**
 * Image-text matching cross-entropy (BLIP): an output of shape {@code [rows, 2]} scores each
 * row's pair, index 1 meaning "match". The engine feeds {@code n} matched pairs followed by
 * the same images with shuffled texts, so the labels are 1 for the first half, 0 after.
 */
final class ItmLoss implements CalibrationLoss {
  private final String output;

  ItmLoss(String output) {
    this.output = output;
  }

  @Override
  public boolean appliesTo(Set<String> outputNames) {
    return outputNames.contains(output);
  }

  @Override
  public boolean needsMismatchedPairs() {
    return true;
  }

  @Override
  public double loss(ModelRun candidate, ModelRun dense) {
    FloatTensor logits = candidate.output(output);
    if (logits.shape().length != 2 || logits.dim(1) != 2 || logits.dim(0) % 2 != 0) {
      throw new InvalidConfigurationException("loss 'itm' needs output '" + output
          + "' of shape [2n, 2] (matched then mismatched pairs), got " + java.util.Arrays.toString(logits.shape()));
    }
    int rows = logits.dim(0);
    int[] labels = new int[rows];
    for (int r = 0; r < rows / 2; r++) {
      labels[r] = 1;
    }
    return CrossEntropy.mean(logits.values(), rows, 2, labels);
  }
}
