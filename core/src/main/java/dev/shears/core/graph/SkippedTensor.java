package dev.shears.core.graph;

/**
 * A weight Shears saw and will not prune, with the reason.
 *
 * @param name the tensor's name
 * @param node the consuming node
 * @param reason why it is not pruned
 */
public record SkippedTensor(String name, String node, String reason) {}
