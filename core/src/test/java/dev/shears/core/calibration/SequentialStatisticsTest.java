package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.Evidence;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.LayerStatistics;
import dev.shears.core.pruning.StatisticsEngine;
import dev.shears.core.pruning.WeightCodec;
import dev.shears.testdata.BundledModels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The block-by-block sub-graphs must see exactly what the whole model sees. */
class SequentialStatisticsTest {

  @Test
  void unchangedWeightsGiveTheOneShotStatistics() throws Exception {
    try (ModelFile model = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"));
        OrtStatisticsEngine engine = WandaReferenceTest.calib(40).open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Set<Evidence> kinds = Set.of(Evidence.ACTIVATION_NORMS, Evidence.INPUT_GRAM);
      Map<String, LayerStatistics> oneShot = engine.oneShot(inv.prunable(), kinds);
      Map<String, LayerStatistics> sequential = new LinkedHashMap<>();
      try (StatisticsEngine.SequentialPass pass = engine.sequential(kinds)) {
        for (List<PrunableTensor> block : inv.blocks().values()) {
          sequential.putAll(pass.statistics(block));
          Map<PrunableTensor, float[]> same = new LinkedHashMap<>();
          for (PrunableTensor t : block) {
            same.put(t, WeightCodec.readView(model, t));
          }
          pass.pruned(same);
        }
      }
      assertEquals(oneShot.keySet(), sequential.keySet());
      for (String t : oneShot.keySet()) {
        LayerStatistics a = oneShot.get(t);
        LayerStatistics b = sequential.get(t);
        assertEquals(a.tokens(), b.tokens(), t);
        for (int j = 0; j < a.squareSums().length; j++) {
          assertEquals(a.squareSums()[j], b.squareSums()[j], 1e-5 * Math.abs(a.squareSums()[j]) + 1e-6, t);
        }
        for (int j = 0; j < a.gram().length; j++) {
          assertEquals(a.gram()[j], b.gram()[j], 1e-4 * Math.abs(a.gram()[j]) + 1e-4, t);
        }
      }
    }
  }

  /** Past the inline limit, weights reach ONNX Runtime as mapped buffers: same numbers. */
  @Test
  void mappedInitializersGiveTheSameStatistics() throws Exception {
    try (ModelFile model = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"));
        OrtStatisticsEngine inline = WandaReferenceTest.calib(24).open(model, Progress.NONE);
        OrtStatisticsEngine mapped = new OrtStatisticsEngine(model, WandaReferenceTest.calib(24).source(model), 16,
            Device.CPU, Progress.NONE, 0)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Set<Evidence> kinds = Set.of(Evidence.ACTIVATION_NORMS);
      Map<String, LayerStatistics> a = inline.oneShot(inv.prunable(), kinds);
      Map<String, LayerStatistics> b = mapped.oneShot(inv.prunable(), kinds);
      Map<String, LayerStatistics> c = new LinkedHashMap<>();
      try (StatisticsEngine.SequentialPass pass = mapped.sequential(kinds)) {
        for (List<PrunableTensor> block : inv.blocks().values()) {
          c.putAll(pass.statistics(block));
          Map<PrunableTensor, float[]> same = new LinkedHashMap<>();
          for (PrunableTensor t : block) {
            same.put(t, WeightCodec.readView(model, t));
          }
          pass.pruned(same);
        }
      }
      for (String t : a.keySet()) {
        for (int j = 0; j < a.get(t).squareSums().length; j++) {
          double x = a.get(t).squareSums()[j];
          assertEquals(x, b.get(t).squareSums()[j], 1e-5 * Math.abs(x) + 1e-6, t);
          assertEquals(x, c.get(t).squareSums()[j], 1e-5 * Math.abs(x) + 1e-6, t);
        }
      }
    }
  }

  @Test
  void prunedEarlierBlocksChangeLaterStatistics() throws Exception {
    try (ModelFile model = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"));
        OrtStatisticsEngine engine = WandaReferenceTest.calib(40).open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Set<Evidence> kinds = Set.of(Evidence.ACTIVATION_NORMS);
      Map<String, LayerStatistics> oneShot = engine.oneShot(inv.prunable(), kinds);
      List<List<PrunableTensor>> blocks = List.copyOf(inv.blocks().values());
      try (StatisticsEngine.SequentialPass pass = engine.sequential(kinds)) {
        Map<String, LayerStatistics> first = pass.statistics(blocks.get(0));
        PrunableTensor t0 = blocks.get(0).get(0);
        assertEquals(oneShot.get(t0.name()).squareSums()[0], first.get(t0.name()).squareSums()[0], 1e-3);
        Map<PrunableTensor, float[]> zeroed = new LinkedHashMap<>();
        for (PrunableTensor t : blocks.get(0)) {
          zeroed.put(t, new float[(int) t.parameters()]);
        }
        pass.pruned(zeroed);
        Map<String, LayerStatistics> second = pass.statistics(blocks.get(1));
        PrunableTensor t1 = blocks.get(1).get(3); // out_proj input depends on block 1 only through block 0
        double dense = oneShot.get(t1.name()).squareSums()[0];
        double after = second.get(t1.name()).squareSums()[0];
        assertTrue(Math.abs(dense - after) > 1e-3 * Math.abs(dense), "block 0 zeroed must change block 1's inputs");
      }
    }
  }
}
