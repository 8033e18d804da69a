package dev.shears.core.graph;

import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What in a model can be pruned (ALGORITHM.md §0): 2-D float initializers that are the
 * weight operand of MatMul (input 1) or Gemm (input B), found through the consuming node
 * and any chain of pass-through {@code Identity} nodes, grouped into blocks by node name.
 *
 * @param prunable the weights to prune, in graph order of their first consumer
 * @param skipped weights seen but not pruned, with reasons
 */
public record Inventory(List<PrunableTensor> prunable, List<SkippedTensor> skipped) {
  private static final Set<String> QUANTIZED_MATMULS =
      Set.of("MatMulInteger", "QLinearMatMul", "MatMulNBits", "DynamicQuantizeMatMul");

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

  /** Builds the inventory of a graph under the user's rules. */
  public static Inventory of(GraphProto graph, SelectionRules rules) {
    Map<String, Integer> initializers = new HashMap<>();
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      initializers.put(graph.getInitializer(i).getName(), i);
    }
    Map<String, NodeProto> producers = new HashMap<>();
    for (NodeProto n : graph.getNodeList()) {
      for (String o : n.getOutputList()) {
        producers.put(o, n);
      }
    }
    // weight name -> consumers, in graph order
    Map<String, List<Consumer>> consumers = new LinkedHashMap<>();
    List<SkippedTensor> skipped = new ArrayList<>();
    Map<String, String> skippedNames = new HashMap<>();
    for (int idx = 0; idx < graph.getNodeCount(); idx++) {
      NodeProto n = graph.getNode(idx);
      String op = n.getOpType();
      boolean standardDomain = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
      if (QUANTIZED_MATMULS.contains(op)) {
        for (String in : n.getInputList()) {
          Integer init = initializers.get(resolve(in, producers));
          if (init != null && graph.getInitializer(init).getDimsCount() == 2
              && skippedNames.putIfAbsent(graph.getInitializer(init).getName(), n.getName()) == null) {
            skipped.add(new SkippedTensor(graph.getInitializer(init).getName(), n.getName(),
                "quantized weight (" + op + "); Shears prunes float weights only"));
          }
        }
        continue;
      }
      if (!standardDomain || !(op.equals("MatMul") || op.equals("Gemm")) || n.getInputCount() < 2) {
        continue;
      }
      String weight = resolve(n.getInput(1), producers);
      NodeProto producer = producers.get(weight);
      if (producer != null && producer.getOpType().equals("DequantizeLinear")) {
        String q = resolve(producer.getInput(0), producers);
        if (initializers.containsKey(q) && skippedNames.putIfAbsent(q, n.getName()) == null) {
          skipped.add(new SkippedTensor(q, n.getName(),
              "quantized weight (DequantizeLinear); Shears prunes float weights only"));
        }
        continue;
      }
      Integer init = initializers.get(weight);
      if (init == null) {
        continue; // activation × activation (attention scores): nothing to prune
      }
      TensorProto t = graph.getInitializer(init);
      DataType type = DataType.ofCode(t.getDataType());
      if (t.getDimsCount() != 2 || type == null || !type.isPrunableFloat()) {
        if (skippedNames.putIfAbsent(weight, n.getName()) == null) {
          String why = t.getDimsCount() != 2
              ? "not a 2-D matrix (" + t.getDimsCount() + "-D)"
              : "element type " + DataType.nameOf(t.getDataType()) + " is not fp32, fp16 or bf16";
          skipped.add(new SkippedTensor(weight, n.getName(), why));
        }
        continue;
      }
      consumers.computeIfAbsent(weight, k -> new ArrayList<>())
          .add(new Consumer(n.getName(), op, n.getInput(0), idx));
    }

    int[] includeHits = new int[rules.include().size()];
    int[] excludeHits = new int[rules.exclude().size()];
    List<PrunableTensor> prunable = new ArrayList<>();
    for (Map.Entry<String, List<Consumer>> e : consumers.entrySet()) {
      String weight = e.getKey();
      List<Consumer> cs = e.getValue();
      Consumer first = cs.get(0);
      boolean included = matchAny(rules.include(), cs, includeHits);
      boolean excluded = matchAny(rules.exclude(), cs, excludeHits);
      BlockNames.Location loc = BlockNames.locate(first.node());
      if (excluded) {
        skipped.add(new SkippedTensor(weight, first.node(), "excluded by --exclude"));
        continue;
      }
      if (loc == null) {
        if (!included) {
          skipped.add(new SkippedTensor(weight, first.node(),
              "outside the transformer blocks (add --include to prune it)"));
          continue;
        }
        loc = BlockNames.outsideBlocks(first.node());
      }
      int init = initializers.get(weight);
      TensorProto t = graph.getInitializer(init);
      WeightLayout layout = layoutOf(graph.getNode(first.index()));
      for (Consumer c : cs) {
        if (layoutOf(graph.getNode(c.index())) != layout) {
          skipped.add(new SkippedTensor(weight, c.node(),
              "used both transposed and not by different nodes"));
          layout = null;
          break;
        }
      }
      if (layout == null) {
        continue;
      }
      long d0 = t.getDims(0);
      long d1 = t.getDims(1);
      if (d0 > Integer.MAX_VALUE || d1 > Integer.MAX_VALUE || d0 * d1 > Integer.MAX_VALUE - 8) {
        skipped.add(new SkippedTensor(weight, first.node(), "too large for one array"));
        continue;
      }
      int rows = (int) (layout == WeightLayout.IN_OUT ? d1 : d0);
      int cols = (int) (layout == WeightLayout.IN_OUT ? d0 : d1);
      prunable.add(new PrunableTensor(weight, init, loc.block(), loc.tower(),
          DataType.ofCode(t.getDataType()), layout, rows, cols, cs));
    }
    checkHits(rules.include(), includeHits, "--include");
    checkHits(rules.exclude(), excludeHits, "--exclude");
    return new Inventory(prunable, skipped);
  }

  /** Follows pass-through Identity nodes back to the value they copy. */
  private static String resolve(String name, Map<String, NodeProto> producers) {
    String current = name;
    for (int hops = 0; hops < 1000; hops++) {
      NodeProto p = producers.get(current);
      if (p == null || !p.getOpType().equals("Identity") || p.getInputCount() == 0) {
        return current;
      }
      current = p.getInput(0);
    }
    return current;
  }

  private static WeightLayout layoutOf(NodeProto node) {
    if (node.getOpType().equals("Gemm")) {
      for (AttributeProto a : node.getAttributeList()) {
        if (a.getName().equals("transB") && a.getI() != 0) {
          return WeightLayout.OUT_IN;
        }
      }
    }
    return WeightLayout.IN_OUT;
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
