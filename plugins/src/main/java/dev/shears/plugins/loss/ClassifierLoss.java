package dev.shears.plugins.loss;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ModelRun;
import java.util.Set;

/**
 * For single-tower classifiers (a ViT or BERT with a {@code logits [batch, classes]} output)
 * and no labels: cross-entropy of the candidate's logits against the classes the dense model
 * predicts on the same batch. Unlike a KL divergence to the dense logits, which is at its
 * minimum (zero gradient) at the dense weights, this loss has a slope there, which is what
 * zeroth-order importance measures.
 */
final class ClassifierLoss implements CalibrationLoss {
  private final String output;

  ClassifierLoss(String output) {
    this.output = output;
  }

  @Override
  public boolean appliesTo(Set<String> outputNames) {
    return outputNames.contains(output);
  }

  @Override
  public double loss(ModelRun candidate, ModelRun dense) {
    FloatTensor c = candidate.output(output);
    FloatTensor d = dense.output(output);
    if (c.shape().length != 2) {
      throw new InvalidConfigurationException("loss 'classifier' needs a [batch, classes] output; '" + output
          + "' has rank " + c.shape().length);
    }
    int rows = c.dim(0);
    int cols = c.dim(1);
    int[] predicted = new int[rows];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int k = 1; k < cols; k++) {
        if (d.get(r, k) > d.get(r, best)) {
          best = k;
        }
      }
      predicted[r] = best;
    }
    return CrossEntropy.mean(c.values(), rows, cols, predicted);
  }
}
