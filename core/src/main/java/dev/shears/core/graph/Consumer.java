package dev.shears.core.graph;

/**
 * A node that multiplies by a prunable weight.
 *
 * @param node the node's name
 * @param opType the operator, for example {@code MatMul}, {@code Gemm} or {@code Attention}
 * @param activation the name of the node's activation input (what Wanda's norms are taken on)
 * @param index the node's position in the graph
 * @param activationTransposed whether the activation's input features run along its
 *     second-to-last axis ({@code y = W·x}) rather than its last
 */
public record Consumer(String node, String opType, String activation, int index, boolean activationTransposed) {
  /** A consumer whose activation has its features on the last axis ({@code y = x·W}). */
  public Consumer(String node, String opType, String activation, int index) {
    this(node, opType, activation, index, false);
  }
}
