package dev.shears.api;

import java.util.Set;

/**
 * The fine stage: decides which weights of one layer go.
 *
 * <p>Most scorers compute one score per weight and let {@link MaskSelection} pick the
 * lowest; a scorer may also change the weights it keeps (see {@link PruneResult}).
 * Implementations must be safe to call from several threads at once for different layers,
 * and deterministic: the same layer and target give the same result.
 */
public interface Scorer {

  /**
   * The calibration evidence this scorer reads from {@link Layer}.
   *
   * @return a subset of {@link Evidence#ACTIVATION_NORMS}, {@link Evidence#ACTIVATION_ABS_SUMS},
   *     {@link Evidence#ACTIVATION_ABS_MAX} and {@link Evidence#INPUT_GRAM}
   */
  Set<Evidence> evidence();

  /**
   * Decides the layer's pruned weights.
   *
   * @param layer the layer and its evidence
   * @param target the sparsity and pattern to reach
   * @return the decision; it must remove exactly what {@link MaskSelection} would for the
   *     target (for example {@code floor(columns × sparsity)} per row in per-row groups)
   */
  PruneResult prune(Layer layer, LayerTarget target);

  /**
   * Which weights compete for removal under an unstructured target, so that Shears can check
   * every result's count: per row, {@code floor(columns × sparsity)} in each row; per tensor,
   * {@code floor(rows × columns × sparsity)} in all. Under an N:M pattern the group does not
   * matter (every full run of {@code m} columns loses {@code m - n}). Asked once, when the
   * scorer is created; a scorer whose result does not count as declared is refused.
   *
   * @return {@link MaskSelection.Group#PER_ROW} unless overridden
   */
  default MaskSelection.Group group() {
    return MaskSelection.Group.PER_ROW;
  }

  /**
   * The scorer an allocator's loss measurements prune with: the {@code sensitivity} allocator
   * prunes every block alone at several sparsities and compares the losses, a ranking of blocks
   * rather than the model that is written. A scorer whose last step is a costly refinement that
   * changes every block alike may return a variant without it; the final prune always uses this
   * scorer. The variant must read no evidence this scorer does not, and is held to this
   * scorer's {@link #group()}.
   *
   * @return this scorer unless overridden
   */
  default Scorer forLossMeasurements() {
    return this;
  }
}
