package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.api.Evidence;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.BlockStages;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
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

  /**
   * The cross product pairs each token's input in the dense model with the same token's input
   * in the model pruned so far: checked against both models run whole by ONNX Runtime, with
   * the first stage "pruned" to half its weights.
   */
  @Test
  void crossGramPairsTheDenseInputWithThePrunedOne() throws Exception {
    try (ModelFile model = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"));
        OrtStatisticsEngine engine = WandaReferenceTest.calib(24).open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Set<Evidence> kinds = Set.of(Evidence.INPUT_GRAM, Evidence.INPUT_CROSS_GRAM);
      List<List<String>> stageBlocks = BlockStages.of(model.proto().getGraph(), inv.blocks());
      List<List<PrunableTensor>> stages = new ArrayList<>();
      for (List<String> stage : stageBlocks) {
        List<PrunableTensor> tensors = new ArrayList<>();
        stage.forEach(b -> tensors.addAll(inv.blocks().get(b)));
        stages.add(tensors);
      }
      Map<String, LayerStatistics> first;
      Map<String, LayerStatistics> second;
      Map<String, LayerStatistics> third;
      GraphProto.Builder halved = model.proto().getGraph().toBuilder();
      try (TensorStore store = new TensorStore();
          StatisticsEngine.SequentialPass pass = engine.sequential(kinds, store, stages)) {
        first = pass.statistics(stages.get(0));
        for (PrunableTensor t : stages.get(0)) {
          float[] w = WeightCodec.readView(model, t);
          for (int i = 0; i < w.length; i++) {
            w[i] *= 0.5f;
          }
          store.put(t.name(), WeightCodec.storedBytes(t, w));
          for (int i = 0; i < halved.getInitializerCount(); i++) {
            if (halved.getInitializer(i).getName().equals(t.name())) {
              halved.setInitializer(i, WeightCodec.writeView(model, t, w));
            }
          }
        }
        second = pass.statistics(stages.get(1));
        for (PrunableTensor t : stages.get(1)) {
          store.put(t.name(), WeightCodec.storedBytes(t, WeightCodec.readView(model, t)));
        }
        third = pass.statistics(stages.get(2));
      }
      for (PrunableTensor t : stages.get(0)) {
        assertArrayEquals(first.get(t.name()).gram(), first.get(t.name()).crossGram(), t.name());
      }
      // a vision tensor (images have no padding: every row counts) of the second and third stages
      for (var check : List.of(Map.entry(stages.get(1), second), Map.entry(stages.get(2), third))) {
        PrunableTensor t = check.getKey().stream().filter(x -> x.block().contains("vision")).findFirst().orElseThrow();
        String activation = t.consumers().get(0).activation();
        double[] expected = crossProduct(model, halved.build(), activation, t.columns());
        double[] cross = check.getValue().get(t.name()).crossGram();
        double scale = 0;
        for (double v : expected) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int j = 0; j < expected.length; j++) {
          assertEquals(expected[j], cross[j], 1e-4 * scale, t.name() + " at " + j);
        }
        double[] gram = check.getValue().get(t.name()).gram();
        double differs = 0;
        for (int j = 0; j < gram.length; j++) {
          differs = Math.max(differs, Math.abs(gram[j] - cross[j]));
        }
        assertTrue(differs > 1e-2 * scale, "the halved stage must change " + t.name() + "'s input");
      }
    }
  }

  /** X_denseᵀ X_pruned of {@code activation} over the calibration set, each model run whole. */
  private static double[] crossProduct(ModelFile model, GraphProto pruned, String activation, int n)
      throws Exception {
    OrtEnvironment env = OrtSessions.environment();
    GraphProto dense = model.proto().getGraph();
    double[] sum = new double[n * n];
    try (OrtSession d = session(env, model, dense, activation);
        OrtSession p = session(env, model, pruned, activation);
        CalibrationSource.BatchReader reader = WandaReferenceTest.calib(24).source(model).open(16)) {
      CalibrationBatch batch;
      while ((batch = reader.next()) != null) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : batch.inputs().entrySet()) {
          feeds.put(e.getKey(), OrtTensors.of(env, e.getValue(), Map.of()));
        }
        try (OrtSession.Result rd = d.run(feeds, Set.of(activation));
            OrtSession.Result rp = p.run(feeds, Set.of(activation))) {
          float[] xd = OrtTensors.floats((OnnxTensor) rd.get(0));
          float[] xp = OrtTensors.floats((OnnxTensor) rp.get(0));
          for (int r = 0; r < xd.length / n; r++) {
            for (int i = 0; i < n; i++) {
              double a = xd[r * n + i];
              for (int j = 0; j < n; j++) {
                sum[i * n + j] += a * xp[r * n + j];
              }
            }
          }
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    }
    return sum;
  }

  private static OrtSession session(OrtEnvironment env, ModelFile model, GraphProto graph, String output)
      throws Exception {
    GraphProto withOutput = graph.toBuilder().addOutput(ValueInfoProto.newBuilder().setName(output)).build();
    return env.createSession(model.proto().toBuilder().setGraph(withOutput).build().toByteArray(),
        new OrtSession.SessionOptions());
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
