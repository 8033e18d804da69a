package dev.shears.api;

/**
 * Evidence a strategy needs from calibration. The engine gathers only what the chosen
 * strategies declare, since each kind costs forward passes or memory.
 */
public enum Evidence {
  /**
   * Per input feature {@code j} of a layer, the sum over every calibration token of
   * {@code x[t, j]^2} ({@link Layer#inputSquareSums()}): a vector of length
   * {@link Layer#columns()}. Needed by Wanda and OWL.
   */
  ACTIVATION_NORMS,
  /**
   * The input Gram matrix {@code XᵀX} of a layer ({@link Layer#inputGram()}): a
   * {@code columns × columns} matrix. Needed by SparseGPT; costly for wide layers.
   */
  INPUT_GRAM,
  /**
   * The zeroth-order importance of each block ({@link Block#importance()}), estimated from
   * the loss under random weight perturbations. Needed by ECoFLaP.
   */
  ZEROTH_ORDER_IMPORTANCE,
  /**
   * Per input feature {@code j} of a layer, the sum over every calibration token of
   * {@code |x[t, j]|} ({@link Layer#inputAbsSums()}): a vector of length
   * {@link Layer#columns()}.
   */
  ACTIVATION_ABS_SUMS,
  /**
   * Per input feature {@code j} of a layer, the largest {@code |x[t, j]|} over every
   * calibration token ({@link Layer#inputAbsMax()}): a vector of length
   * {@link Layer#columns()}, for outlier-aware strategies.
   */
  ACTIVATION_ABS_MAX,
  /**
   * The calibration loss after pruning one block alone ({@link Block#lossIncrease(double)}):
   * measured on demand with forward passes, each block pruned by the run's scorer from dense
   * statistics, everything else dense. Needed by the {@code sensitivity} allocator.
   */
  PRUNED_LOSS
}
