package dev.shears.api;

import java.util.List;

/** A read-only view of one transformer block (one layer of one tower) and its evidence. */
public interface Block {

  /**
   * The block's name: the node-name prefix that ends in its numbered segment, for example
   * {@code /vision_model/encoder/layers.3}.
   *
   * @return the block name
   */
  String name();

  /**
   * The tower the block belongs to, for example {@code /vision_model/encoder}.
   *
   * @return the tower name
   */
  String tower();

  /**
   * The run this block is pruned in: its seed and the model's name.
   *
   * @return the context
   * @throws UnsupportedOperationException from a view that has none (test doubles)
   */
  default RunContext context() {
    throw new UnsupportedOperationException("this block view carries no run context");
  }

  /**
   * The prunable layers of this block, in graph order.
   *
   * @return the layers
   */
  List<Layer> layers();

  /**
   * The number of prunable weights in this block.
   *
   * @return the sum of {@code rows × columns} over {@link #layers()}
   */
  default long parameterCount() {
    long n = 0;
    for (Layer layer : layers()) {
      n += (long) layer.rows() * layer.columns();
    }
    return n;
  }

  /**
   * The zeroth-order importance of the block: the sum over its layers of the accumulated
   * {@code |L(W + eps z) - L(W - eps z)| / (2 eps)}.
   *
   * @return the importance, non-negative
   * @throws IllegalStateException when no strategy declared
   *     {@link Evidence#ZEROTH_ORDER_IMPORTANCE}
   */
  double importance();

  /**
   * How much pruning this block alone raises the calibration loss: the mean calibration loss
   * (the loss and the batches the zeroth-order estimate uses) when only this block's layers
   * are pruned to {@code sparsity} by the run's scorer, from statistics of the dense model,
   * minus the dense model's loss on the same batches. Measured on demand (forward passes
   * over the part of the graph downstream of the block) and cached per sparsity; {@code 0}
   * gives exactly 0 without measuring. Noise can make a small increase negative.
   *
   * @param sparsity the fraction of each of the block's layers to prune, in {@code [0, 1)}
   * @return the loss increase, finite
   * @throws IllegalArgumentException when {@code sparsity} is outside {@code [0, 1)}
   * @throws IllegalStateException when the allocator did not declare
   *     {@link Evidence#PRUNED_LOSS}, or from a view that cannot measure it (test doubles)
   */
  default double lossIncrease(double sparsity) {
    throw new IllegalStateException("the loss of block " + name()
        + " pruned alone was not made available: the allocator must declare Evidence.PRUNED_LOSS");
  }
}
