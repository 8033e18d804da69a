package dev.shears.core.graph;

/**
 * A weight Shears saw and will not prune, with the reason.
 *
 * @param name the tensor's name
 * @param node the consuming node
 * @param reason why it is not pruned
 * @param block the block its consumer lies in, or {@code null} outside every block
 * @param parameters the tensor's element count, or 0 when unknown
 */
public record SkippedTensor(String name, String node, String reason, String block, long parameters) {
  /** The report's and inspect's view: name, node, reason, and the block when inside one. */
  public java.util.Map<String, String> describe() {
    java.util.Map<String, String> entry = new java.util.LinkedHashMap<>();
    entry.put("name", name);
    entry.put("node", node);
    entry.put("reason", reason);
    if (block != null) {
      entry.put("block", block);
    }
    return entry;
  }

  /** A skipped tensor outside every block, of unknown size. */
  public SkippedTensor(String name, String node, String reason) {
    this(name, node, reason, null, 0);
  }
}
