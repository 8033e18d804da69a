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
}
