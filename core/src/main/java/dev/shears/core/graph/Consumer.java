package dev.shears.core.graph;

/**
 * A node that multiplies by a prunable weight.
 *
 * @param node the node's name
 * @param opType {@code MatMul} or {@code Gemm}
 * @param activation the name of the node's activation input (what Wanda's norms are taken on)
 * @param index the node's position in the graph
 */
public record Consumer(String node, String opType, String activation, int index) {}
