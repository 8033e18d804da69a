package dev.shears.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.core.TestModels;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.synthetic.PatternModels;
import dev.shears.core.synthetic.SyntheticClipBuilder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No silent misses: on every model the suite uses, including the files ONNX Runtime itself
 * saves after optimizing tinyclip-shapes and all-MiniLM-L6-v2, every linear operator with a
 * constant operand has that operand listed as prunable or skipped, and the optimized files
 * keep exactly the original's prunable weights, in the same blocks.
 */
class LinearAccountingTest {
  private static final Set<String> LINEAR = Set.of("MatMul", "Gemm", "FusedMatMul", "FusedGemm", "Attention",
      "Conv", "MatMulInteger", "QLinearMatMul", "MatMulNBits", "DynamicQuantizeMatMul");

  @TempDir static Path tmp;
  private static final Map<String, Path> MODELS = new HashMap<>();

  @BeforeAll
  static void models() throws Exception {
    MODELS.put("tinyclip", TestModels.tinyClip());
    MODELS.put("minilm", TestModels.miniLm());
    MODELS.put("patterns", PatternModels.linearPatterns(tmp.resolve("patterns"), 4, 1));
    MODELS.put("synthetic", SyntheticClipBuilder.build(tmp.resolve("synthetic"), 32, 2, false, 4));
    for (String m : List.of("tinyclip", "minilm")) {
      for (OrtSession.SessionOptions.OptLevel level : List.of(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT,
          OrtSession.SessionOptions.OptLevel.ALL_OPT)) {
        Path out = tmp.resolve(m + "-" + level + ".onnx");
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
          o.setOptimizationLevel(level);
          o.setOptimizedModelFilePath(out.toString());
          OrtEnvironment.getEnvironment().createSession(MODELS.get(m).toString(), o).close();
        }
        MODELS.put(m + "-" + level, out);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tinyclip", "minilm", "patterns", "synthetic", "tinyclip-EXTENDED_OPT",
      "tinyclip-ALL_OPT", "minilm-EXTENDED_OPT", "minilm-ALL_OPT"})
  void everyConstantOperandOfALinearOperatorIsAccountedFor(String name) {
    try (ModelFile m = ModelFile.read(MODELS.get(name))) {
      GraphProto g = m.proto().getGraph();
      Inventory inv = Inventory.of(g, SelectionRules.DEFAULT);
      Set<String> listed = new HashSet<>();
      inv.prunable().forEach(t -> listed.add(t.name()));
      inv.skipped().forEach(s -> listed.add(s.name()));
      Map<String, NodeProto> producers = new HashMap<>();
      g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producers.put(o, n)));
      Set<String> initializers = new HashSet<>();
      g.getInitializerList().forEach(t -> initializers.add(t.getName()));
      int checked = 0;
      for (NodeProto n : g.getNodeList()) {
        if (!LINEAR.contains(n.getOpType())) {
          continue;
        }
        for (String in : n.getInputList().subList(0, Math.min(2, n.getInputCount()))) {
          // an independent walk: any single-input chain back to an initializer
          String v = in;
          while (!initializers.contains(v) && producers.containsKey(v) && producers.get(v).getInputCount() >= 1
              && !producers.get(v).getOpType().equals("Shape")) {
            v = producers.get(v).getInput(0);
          }
          if (initializers.contains(v) && (in.equals(v) || isConstant(in, producers, initializers))) {
            assertTrue(listed.contains(v), name + ": " + n.getOpType() + " " + n.getName() + " reads initializer " + v
                + ", neither prunable nor skipped");
            checked++;
          }
        }
      }
      assertTrue(checked > 0, name);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tinyclip", "minilm"})
  void optimizedSavesKeepThePrunableWeightsAndBlocks(String name) {
    // ONNX Runtime reorders nodes (K before Q, the text tower before the vision tower): the same
    // blocks of the same tensors, in whatever order the saved file lists them
    Set<Set<String>> original = grouping(MODELS.get(name));
    assertEquals(name.equals("tinyclip") ? 8 : 6, original.size());
    for (String level : List.of("EXTENDED_OPT", "ALL_OPT")) {
      assertEquals(original, grouping(MODELS.get(name + "-" + level)), name + " saved at " + level);
    }
  }

  /** Blocks as sets of tensor names. */
  private static Set<Set<String>> grouping(Path model) {
    try (ModelFile m = ModelFile.read(model)) {
      return Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT).blocks().values().stream()
          .map(ts -> Set.copyOf(ts.stream().map(PrunableTensor::name).toList()))
          .collect(java.util.stream.Collectors.toSet());
    }
  }

  private static boolean isConstant(String v, Map<String, NodeProto> producers, Set<String> initializers) {
    if (initializers.contains(v)) {
      return true;
    }
    NodeProto p = producers.get(v);
    if (p == null) {
      return false;
    }
    for (String in : p.getInputList()) {
      if (!in.isEmpty() && !isConstant(in, producers, initializers)) {
        return false;
      }
    }
    return true;
  }
}
