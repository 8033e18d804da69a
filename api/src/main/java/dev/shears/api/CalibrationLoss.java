package dev.shears.api;

import java.util.Set;

/**
 * The loss zeroth-order importance is measured on: a scalar from one forward pass of the
 * candidate (perturbed) model, possibly compared with the dense model on the same batch.
 */
public interface CalibrationLoss {

  /**
   * Whether this loss can be computed from a model with these outputs; used to pick a
   * default loss.
   *
   * @param outputNames the model's output names
   * @return true when {@link #loss(ModelRun, ModelRun)} can run on such a model
   */
  boolean appliesTo(Set<String> outputNames);

  /**
   * The calibration batch size this loss prefers when the user sets none (contrastive
   * losses want larger batches than per-sample losses).
   *
   * @return a batch size
   */
  default int preferredBatchSize() {
    return 8;
  }

  /**
   * Whether the loss scores matched and mismatched image-text pairs (image-text matching).
   * When true, the engine runs each batch of {@code n} pairs as {@code 2n} rows: the {@code n}
   * matched pairs first, then the same images with the texts shuffled within the batch so that
   * no text stays with its own image.
   *
   * @return true for pair-classification losses
   */
  default boolean needsMismatchedPairs() {
    return false;
  }

  /**
   * The loss of one batch, averaged over the batch.
   *
   * @param candidate the run of the model being measured
   * @param dense the run of the unpruned, unperturbed model on the same batch
   * @return the loss
   */
  double loss(ModelRun candidate, ModelRun dense);
}
