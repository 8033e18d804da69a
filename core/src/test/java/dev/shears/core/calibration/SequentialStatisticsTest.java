package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.Evidence;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.BlockStages;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.WeightCodec;
import dev.shears.testdata.BundledModels;
import java.util.ArrayList;
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
      try (TensorStore store = new TensorStore();
          StatisticsEngine.SequentialPass pass = engine.sequential(kinds, store, List.copyOf(inv.blocks().values()))) {
        for (List<PrunableTensor> block : inv.blocks().values()) {
          sequential.putAll(pass.statistics(block));
          for (PrunableTensor t : block) {
            store.put(t.name(), WeightCodec.storedBytes(t, WeightCodec.readView(model, t)));
          }
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
            Device.CPU, Progress.NONE, 0L, true)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Set<Evidence> kinds = Set.of(Evidence.ACTIVATION_NORMS);
      Map<String, LayerStatistics> a = inline.oneShot(inv.prunable(), kinds);
      Map<String, LayerStatistics> b = mapped.oneShot(inv.prunable(), kinds);
      Map<String, LayerStatistics> c = new LinkedHashMap<>();
      try (TensorStore store = new TensorStore();
          StatisticsEngine.SequentialPass pass = mapped.sequential(kinds, store, List.copyOf(inv.blocks().values()))) {
        for (List<PrunableTensor> block : inv.blocks().values()) {
          c.putAll(pass.statistics(block));
          for (PrunableTensor t : block) {
            store.put(t.name(), WeightCodec.storedBytes(t, WeightCodec.readView(model, t)));
          }
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
      try (TensorStore store = new TensorStore();
          StatisticsEngine.SequentialPass pass = engine.sequential(kinds, store, blocks)) {
        Map<String, LayerStatistics> first = pass.statistics(blocks.get(0));
        PrunableTensor t0 = blocks.get(0).get(0);
        assertEquals(oneShot.get(t0.name()).squareSums()[0], first.get(t0.name()).squareSums()[0], 1e-3);
        for (PrunableTensor t : blocks.get(0)) {
          store.put(t.name(), WeightCodec.storedBytes(t, new float[(int) t.parameters()]));
        }
        Map<String, LayerStatistics> second = pass.statistics(blocks.get(1));
        PrunableTensor t1 = blocks.get(1).get(3); // out_proj input depends on block 1 only through block 0
        double dense = oneShot.get(t1.name()).squareSums()[0];
        double after = second.get(t1.name()).squareSums()[0];
        assertTrue(Math.abs(dense - after) > 1e-3 * Math.abs(dense), "block 0 zeroed must change block 1's inputs");
      }
    }
  }

  /** Stages of independent blocks (vision i with text i) see what block-by-block steps see. */
  @Test
  void stagesGiveTheBlockByBlockStatistics() throws Exception {
    try (ModelFile model = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"));
        OrtStatisticsEngine engine = WandaReferenceTest.calib(24).open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Set<Evidence> kinds = Set.of(Evidence.ACTIVATION_NORMS);
      List<List<String>> stages = BlockStages.of(model.proto().getGraph(), inv.blocks());
      assertEquals(4, stages.size());
      List<List<PrunableTensor>> byBlock = List.copyOf(inv.blocks().values());
      List<List<PrunableTensor>> byStage = new ArrayList<>();
      for (List<String> stage : stages) {
        List<PrunableTensor> tensors = new ArrayList<>();
        stage.forEach(b -> tensors.addAll(inv.blocks().get(b)));
        byStage.add(tensors);
      }
      Map<String, LayerStatistics> a = halvingPass(model, engine, kinds, byBlock);
      Map<String, LayerStatistics> b = halvingPass(model, engine, kinds, byStage);
      assertEquals(a.keySet(), b.keySet());
      for (String t : a.keySet()) {
        assertArrayEquals(a.get(t).squareSums(), b.get(t).squareSums(), t);
      }
    }
  }

  /** A sequential pass in which every "pruned" tensor is its dense value halved. */
  private static Map<String, LayerStatistics> halvingPass(ModelFile model, OrtStatisticsEngine engine,
      Set<Evidence> kinds, List<List<PrunableTensor>> steps) {
    Map<String, LayerStatistics> out = new LinkedHashMap<>();
    try (TensorStore store = new TensorStore();
        StatisticsEngine.SequentialPass pass = engine.sequential(kinds, store, steps)) {
      for (List<PrunableTensor> step : steps) {
        out.putAll(pass.statistics(step));
        for (PrunableTensor t : step) {
          float[] w = WeightCodec.readView(model, t);
          for (int i = 0; i < w.length; i++) {
            w[i] *= 0.5f;
          }
          store.put(t.name(), WeightCodec.storedBytes(t, w));
        }
      }
    }
    return out;
  }
}
