package dev.shears.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.shears.api.Evidence;
import dev.shears.core.onnx.ModelFile;
import dev.shears.testdata.BundledModels;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StatisticsProbesTest {

  /** Q, K and V read the same activation: one set of reductions serves all three. */
  @Test
  void projectionsOfOneActivationShareTheirReductions() {
    try (ModelFile m = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"))) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      List<PrunableTensor> block = inv.blocks().get("/vision_model/encoder/layers.0");
      StatisticsProbes probes = new StatisticsProbes(17);
      for (PrunableTensor t : block) {
        probes.add(t, Set.of(Evidence.ACTIVATION_NORMS, Evidence.INPUT_GRAM), null);
      }
      assertEquals(6, probes.probes().size(), "one probe per tensor");
      assertEquals(4, probes.activations().size(), "q/k/v input, out_proj, fc1, fc2 inputs");
      // per activation: Reshape, Shape, ReduceSumSquare, Transpose, MatMul; outputs rows, ss, gram
      assertEquals(4 * 5, probes.nodes().size());
      assertEquals(4 * 3, probes.outputs().size());
      assertEquals(probes.outputs().size(), new HashSet<>(probes.outputs()).size(), "no output twice");
      StatisticsProbes.Probe q = probe(probes, block, "/q_proj/");
      StatisticsProbes.Probe v = probe(probes, block, "/v_proj/");
      StatisticsProbes.Probe fc1 = probe(probes, block, "/fc1/");
      assertEquals(q.squareSums(), v.squareSums());
      assertEquals(q.gram(), v.gram());
      assertNotEquals(q.squareSums(), fc1.squareSums());
    }
  }

  private static StatisticsProbes.Probe probe(StatisticsProbes probes, List<PrunableTensor> block, String node) {
    String tensor = block.stream().filter(t -> t.consumers().get(0).node().contains(node)).findFirst()
        .orElseThrow().name();
    return probes.probes().stream().filter(p -> p.tensor().equals(tensor)).findFirst().orElseThrow();
  }
}
