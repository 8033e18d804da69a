package dev.shears.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The coarse stage: decides how sparse each block, or each layer of a block, should be. */
public interface Allocator {

  /**
   * The calibration evidence this allocator reads from {@link Block} and {@link Layer}.
   *
   * @return the evidence kinds, possibly empty
   */
  Set<Evidence> evidence();

  /**
   * The zeroth-order estimator's settings, read when {@link #evidence()} holds
   * {@link Evidence#ZEROTH_ORDER_IMPORTANCE}; with {@link Evidence#PRUNED_LOSS}, their
   * {@code samples} and {@code batchSize} choose the calibration batches the loss is measured on.
   *
   * @return the settings; the defaults unless overridden
   */
  default ZerothOrderSettings zerothOrder() {
    return ZerothOrderSettings.DEFAULTS;
  }

  /**
   * How many distinct non-zero sparsities {@link #allocate} will ask {@link
   * Block#lossIncrease(double)} for, per block, at this global target: only sizes the progress
   * bar of the measurements, read when {@link #evidence()} holds {@link Evidence#PRUNED_LOSS}.
   *
   * @param sparsity the global target
   * @return the count per block; 0 when unknown
   */
  default int lossEvaluationsPerBlock(double sparsity) {
    return 0;
  }

  /**
   * Decides each block's sparsity. Called once per run, from one thread.
   *
   * @param blocks every block holding prunable layers, in graph order: in the order their
   *     first consuming node appears in the model, which ONNX keeps topological, so within a
   *     tower a block comes after the blocks it reads from ({@code layers.0}, {@code layers.1},
   *     …; towers of a CLIP model may follow one another)
   * @param sparsity the global target: the fraction of all prunable weights to remove
   * @return block name to sparsity in {@code [0, 1)}, one entry per block; or, for a block
   *     split among its layers, one entry per layer of that block under the {@link
   *     Layer#name()} instead of the block's (all of its layers, and not the block too). Either
   *     way the sparsities, weighted by the weights they apply to, must add up to the global
   *     budget.
   */
  Map<String, Double> allocate(List<Block> blocks, double sparsity);
}
