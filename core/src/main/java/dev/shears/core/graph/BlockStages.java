package dev.shears.core.graph;

import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups blocks into stages for sequential pruning: a block's stage is one past the latest
 * stage of any block it reads from (through any path of nodes). Blocks in one stage do not
 * depend on each other, so their statistics can be taken in the same pass without changing
 * what any of them sees. In a CLIP model, vision block {@code i} and text block {@code i}
 * share a stage: the sequential pass then needs as many steps as the deeper tower has
 * blocks, not as many as both towers together.
 */
public final class BlockStages {
  private BlockStages() {}

  /**
   * The stages of {@code blocks} (names in data-flow order, with their tensors), each stage
   * listing its blocks in the given order.
   */
  public static List<List<String>> of(GraphProto graph, Map<String, List<PrunableTensor>> blocks) {
    List<String> names = new ArrayList<>(blocks.keySet());
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < names.size(); i++) {
      index.put(names.get(i), i);
    }
    // a value depends on a block when one of the block's weights is upstream of it; a block
    // depends on the blocks its weights' activations depend on. Only weights count, never node
    // names, so nodes that belong to no block (or to one only structurally) change nothing.
    Map<String, Integer> weightBlock = new HashMap<>();
    for (Map.Entry<String, List<PrunableTensor>> e : blocks.entrySet()) {
      for (PrunableTensor t : e.getValue()) {
        weightBlock.putIfAbsent(t.name(), index.get(e.getKey()));
      }
    }
    Map<String, BitSet> dependsOn = new HashMap<>();
    weightBlock.forEach((w, b) -> {
      BitSet d = new BitSet();
      d.set(b);
      dependsOn.put(w, d);
    });
    BitSet[] upstream = new BitSet[names.size()];
    for (int b = 0; b < upstream.length; b++) {
      upstream[b] = new BitSet();
    }
    // ONNX graphs list nodes in topological order
    for (NodeProto n : graph.getNodeList()) {
      BitSet deps = new BitSet();
      for (String in : DataFlow.reads(n)) {
        BitSet d = dependsOn.get(in);
        if (d != null) {
          deps.or(d);
        }
      }
      if (!deps.isEmpty()) {
        for (String out : n.getOutputList()) {
          dependsOn.put(out, deps);
        }
      }
    }
    for (Map.Entry<String, List<PrunableTensor>> e : blocks.entrySet()) {
      int own = index.get(e.getKey());
      for (PrunableTensor t : e.getValue()) {
        for (Consumer c : t.consumers()) {
          BitSet d = dependsOn.get(c.activation());
          if (d != null) {
            upstream[own].or(d);
          }
        }
      }
      upstream[own].clear(own);
    }
    int[] stage = new int[names.size()];
    int stages = 0;
    for (int b = 0; b < names.size(); b++) {
      if (upstream[b].nextSetBit(b) >= 0) {
        // a block reads from one listed after it (blocks not in data-flow order, or
        // interleaved): grouping would guess, so keep the given order, one block per stage
        return names.stream().map(List::of).toList();
      }
      int s = 0;
      for (int u = upstream[b].nextSetBit(0); u >= 0; u = upstream[b].nextSetBit(u + 1)) {
        s = Math.max(s, stage[u] + 1);
      }
      stage[b] = s;
      stages = Math.max(stages, s + 1);
    }
    List<List<String>> out = new ArrayList<>();
    for (int s = 0; s < stages; s++) {
      out.add(new ArrayList<>());
    }
    for (int b = 0; b < names.size(); b++) {
      out.get(stage[b]).add(names.get(b));
    }
    return out;
  }
}
