package dev.shears.core.graph;

import dev.shears.api.SubLayer;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What in a model can be pruned (ALGORITHM.md §0): 2-D float initializers that are the
 * constant operand of a linear operator (MatMul on either side, Gemm, FusedMatMul,
 * FusedGemm, the packed projections of {@code com.microsoft:Attention}), found through the
 * consuming node and any chain of {@code Identity}, {@code Cast} and 2-D {@code Transpose}
 * nodes, grouped into transformer blocks by the graph's structure.
 *
 * @param prunable the weights to prune, in graph order of their first consumer
 * @param skipped weights seen but not pruned, with reasons
 */
public record Inventory(List<PrunableTensor> prunable, List<SkippedTensor> skipped) {
  public Inventory {
    prunable = List.copyOf(prunable);
    skipped = List.copyOf(skipped);
  }

  /** Blocks in graph order, each with its tensors. */
  public Map<String, List<PrunableTensor>> blocks() {
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    for (PrunableTensor t : prunable) {
      blocks.computeIfAbsent(t.block(), k -> new ArrayList<>()).add(t);
    }
    return blocks;
  }

  /** Towers in graph order, each with its block names. */
  public Map<String, List<String>> towers() {
    Map<String, List<String>> towers = new LinkedHashMap<>();
    for (Map.Entry<String, List<PrunableTensor>> e : blocks().entrySet()) {
      towers.computeIfAbsent(e.getValue().get(0).tower(), k -> new ArrayList<>()).add(e.getKey());
    }
    return towers;
  }

  /** Total prunable weights. */
  public long parameters() {
    return prunable.stream().mapToLong(PrunableTensor::parameters).sum();
  }

  /**
   * Prunable linear weights in blocks that Shears skipped (quantized, packed in ways it
   * cannot follow, read by other operators), by element count: what the summary warns about.
   */
  public long skippedInBlocks() {
    return skipped.stream().filter(s -> s.block() != null).mapToLong(SkippedTensor::parameters).sum();
  }

  /**
   * Builds the inventory of a graph under the user's rules. Every linear operator with a
   * constant weight operand ends up either prunable or skipped with a reason
   * ({@link LinearOps}); blocks come from the graph's structure ({@link BlockStructure}), and
   * only a graph without any residual sub-layer falls back to numbered node names
   * ({@link BlockNames}).
   */
  public static Inventory of(GraphProto graph, SelectionRules rules) {
    DataFlow flow = new DataFlow(graph);
    List<LinearOps.Use> uses = LinearOps.find(flow);
    Map<Integer, BlockStructure.Location> located =
        BlockStructure.locate(flow, uses.stream().map(LinearOps.Use::node).toList());
    boolean structural = !located.isEmpty();

    // uses per initializer, in graph order of their first use
    Map<String, List<LinearOps.Use>> byWeight = new LinkedHashMap<>();
    List<SkippedTensor> skipped = new ArrayList<>();
    Set<String> skippedNames = new HashSet<>();
    for (LinearOps.Use u : uses) {
      if (u.initializer() == null) {
        String name = u.nodeName() + ":constant";
        if (skippedNames.add(name)) {
          skipped.add(new SkippedTensor(name, u.nodeName(), u.skipReason(), blockOf(u, located, structural), 0));
        }
        continue;
      }
      byWeight.computeIfAbsent(u.initializer(), k -> new ArrayList<>()).add(u);
    }

    int[] includeHits = new int[rules.include().size()];
    int[] excludeHits = new int[rules.exclude().size()];
    List<PrunableTensor> prunable = new ArrayList<>();
    for (Map.Entry<String, List<LinearOps.Use>> e : byWeight.entrySet()) {
      String weight = e.getKey();
      List<LinearOps.Use> us = e.getValue();
      LinearOps.Use first = us.get(0);
      int init = flow.initializer(weight);
      TensorProto t = graph.getInitializer(init);
      long size = elements(t);
      String block = blockOf(first, located, structural);
      String why = whyNotPrunable(flow, weight, t, us);
      if (why != null) {
        if (skippedNames.add(weight)) {
          skipped.add(new SkippedTensor(weight, first.nodeName(), why, block, size));
        }
        continue;
      }
      List<Consumer> cs = new ArrayList<>();
      for (LinearOps.Use u : us) {
        cs.add(new Consumer(u.nodeName(), u.opType(), u.activation(), u.node(), u.activationTransposed()));
      }
      boolean included = matchAny(rules.include(), cs, includeHits);
      boolean excluded = matchAny(rules.exclude(), cs, excludeHits);
      if (excluded) {
        skipped.add(new SkippedTensor(weight, first.nodeName(), "excluded by --exclude", block, size));
        continue;
      }
      String tower;
      SubLayer subLayer = SubLayer.UNKNOWN;
      if (block == null) {
        if (!included) {
          skipped.add(new SkippedTensor(weight, first.nodeName(),
              "outside the transformer blocks (add --include to prune it)", null, size));
          continue;
        }
        BlockNames.Location outside = BlockNames.outsideBlocks(first.nodeName());
        block = outside.block();
        tower = outside.tower();
      } else {
        tower = towerOf(first, located, structural);
        if (structural) {
          subLayer = located.get(first.node()).subLayer();
        }
      }
      WeightLayout layout = first.layout();
      long d0 = t.getDims(0);
      long d1 = t.getDims(1);
      int rows = (int) (layout == WeightLayout.IN_OUT ? d1 : d0);
      int cols = (int) (layout == WeightLayout.IN_OUT ? d0 : d1);
      prunable.add(new PrunableTensor(weight, init, block, tower, DataType.ofCode(t.getDataType()), layout,
          rows, cols, cs, subLayer));
    }
    checkHits(rules.include(), includeHits, "--include");
    checkHits(rules.exclude(), excludeHits, "--exclude");
    return new Inventory(prunable, skipped);
  }

  /** Why a weight with these uses cannot be pruned, or null when it can. */
  private static String whyNotPrunable(DataFlow flow, String weight, TensorProto t, List<LinearOps.Use> uses) {
    for (LinearOps.Use u : uses) {
      if (u.skipReason() != null) {
        return u.skipReason();
      }
    }
    DataType type = DataType.ofCode(t.getDataType());
    if (t.getDimsCount() != 2) {
      return "not a 2-D matrix (" + t.getDimsCount() + "-D)";
    }
    if (type == null || !type.isPrunableFloat()) {
      return "element type " + DataType.nameOf(t.getDataType()) + " is not fp32, fp16 or bf16";
    }
    for (LinearOps.Use u : uses) {
      if (u.layout() != uses.get(0).layout()) {
        return "used both transposed and not by different nodes (" + uses.get(0).nodeName() + ", "
            + u.nodeName() + ")";
      }
    }
    // one mask serves every reader: a reader that is not a linear use would see pruned values
    Set<Integer> chainNodes = new HashSet<>();
    Set<Integer> linearNodes = new HashSet<>();
    for (LinearOps.Use u : uses) {
      chainNodes.addAll(u.chain());
      linearNodes.add(u.node());
    }
    java.util.Deque<String> values = new java.util.ArrayDeque<>(List.of(weight));
    Set<String> seen = new HashSet<>();
    while (!values.isEmpty()) {
      String v = values.pop();
      if (!seen.add(v)) {
        continue;
      }
      for (int r : flow.readers(v)) {
        if (linearNodes.contains(r)) {
          continue;
        }
        if (!chainNodes.contains(r)) {
          NodeProto other = flow.node(r);
          return "also read by " + other.getOpType() + " (" + other.getName() + "), which is not a linear operator";
        }
        values.addAll(flow.node(r).getOutputList());
      }
    }
    long d0 = t.getDims(0);
    long d1 = t.getDims(1);
    if (d0 > Integer.MAX_VALUE || d1 > Integer.MAX_VALUE || d0 * d1 > Integer.MAX_VALUE - 8) {
      return "too large for one array";
    }
    return null;
  }

  private static String blockOf(LinearOps.Use u, Map<Integer, BlockStructure.Location> located, boolean structural) {
    if (structural) {
      BlockStructure.Location loc = located.get(u.node());
      return loc == null ? null : loc.block();
    }
    BlockNames.Location loc = BlockNames.locate(u.nodeName());
    return loc == null ? null : loc.block();
  }

  private static String towerOf(LinearOps.Use u, Map<Integer, BlockStructure.Location> located, boolean structural) {
    if (structural) {
      return located.get(u.node()).tower();
    }
    return BlockNames.locate(u.nodeName()).tower();
  }

  private static long elements(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      n *= d;
    }
    return n;
  }

  private static boolean matchAny(List<Pattern> rules, List<Consumer> cs, int[] hits) {
    boolean any = false;
    for (int i = 0; i < rules.size(); i++) {
      for (Consumer c : cs) {
        if (rules.get(i).matcher(c.node()).find()) {
          hits[i]++;
          any = true;
          break;
        }
      }
    }
    return any;
  }

  private static void checkHits(List<Pattern> rules, int[] hits, String flag) {
    for (int i = 0; i < rules.size(); i++) {
      if (hits[i] == 0) {
        throw new InvalidSelectionException(flag + " '" + rules.get(i).pattern()
            + "' matches no MatMul/Gemm weight's node name");
      }
    }
  }
}
