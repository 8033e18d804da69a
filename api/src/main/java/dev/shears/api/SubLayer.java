package dev.shears.api;

/**
 * The residual sub-layer of its transformer block that a layer lies in ({@code h → h + f(h)}),
 * as Shears finds it from the graph's structure, not from node names.
 */
public enum SubLayer {
  /** A self-attention sub-layer: it holds a {@code Softmax} or a fused attention operator. */
  ATTENTION,
  /** An attention sub-layer with a weight that reads another tower's values. */
  CROSS_ATTENTION,
  /** A sub-layer without attention: the MLP. */
  FEED_FORWARD,
  /** Not known: a model whose blocks were found by node names, or a layer outside the blocks. */
  UNKNOWN;

  /**
   * Whether this is an attention sub-layer, self or cross.
   *
   * @return true for {@link #ATTENTION} and {@link #CROSS_ATTENTION}
   */
  public boolean isAttention() {
    return this == ATTENTION || this == CROSS_ATTENTION;
  }
}
