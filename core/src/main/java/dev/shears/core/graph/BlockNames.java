package dev.shears.core.graph;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the transformer block of a node from its name: the longest path prefix that ends
 * in a numbered layer segment ({@code layers.3}, {@code layer.3}, {@code blocks.3},
 * {@code resblocks.3}, {@code block.3}, {@code h.3}). Exporters keep the module path in node
 * names while weight names are often meaningless ({@code onnx::MatMul_1234}), so blocks are
 * found through the consumer node, never the initializer.
 */
public final class BlockNames {
  private static final Pattern SEGMENT =
      Pattern.compile("(?<=^|[/.])(layers|layer|blocks|resblocks|block|h)\\.(\\d+)(?=[/.]|$)");

  /**
   * A block and its tower.
   *
   * @param block e.g. {@code /vision_model/encoder/layers.3}
   * @param tower e.g. {@code /vision_model/encoder}
   * @param index the layer number
   */
  public record Location(String block, String tower, int index) {}

  private BlockNames() {}

  /** The block of a node, or {@code null} when the node lies outside every block. */
  public static Location locate(String nodeName) {
    Matcher m = SEGMENT.matcher(nodeName);
    Location last = null;
    while (m.find()) {
      String tower = nodeName.substring(0, Math.max(0, m.start() - 1));
      last = new Location(nodeName.substring(0, m.end()), tower, Integer.parseInt(m.group(2)));
    }
    return last;
  }

  /** A stand-in block for an explicitly included weight outside every block: its module path. */
  public static Location outsideBlocks(String nodeName) {
    int slash = nodeName.lastIndexOf('/');
    String module = slash > 0 ? nodeName.substring(0, slash) : nodeName;
    return new Location(module, "", -1);
  }
}
