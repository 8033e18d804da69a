package dev.shears.core.evidence;

import dev.shears.core.onnx.TensorStore;

/**
 * The calibration loss on samples kept out of pruning, for ranking candidate prunes by forward
 * passes alone: the dense model's outputs on each held-out batch are computed once, and each
 * candidate costs one forward pass per batch with its pruned weights.
 */
public interface HeldOutLoss extends AutoCloseable {

  /** The number of held-out samples. */
  int samples();

  /** The dense model's loss on the held-out samples (the reference a candidate's increase is measured from). */
  double dense();

  /**
   * The loss on the held-out samples of the model with {@code prunedWeights} (stored layout and
   * type, by tensor name) in place of its own: the mean over batches, weighted by their samples.
   */
  double loss(TensorStore prunedWeights);

  @Override
  void close();
}
