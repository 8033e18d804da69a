package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.api.SparsityPattern;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.TestModels;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 2's end-to-end check: magnitude + uniform at 50% on both real models. */
class MagnitudePruneTest {
  @TempDir Path tmp;

  private PruneReport prune(Path model, Path out) {
    PruneOptions o = new PruneOptions(0.5, SparsityPattern.unstructured(), "magnitude", "uniform", null,
        Map.of(), Mode.SEQUENTIAL, 0);
    return new PruneJob(model, out, tmp.resolve("report.json"), SelectionRules.DEFAULT, o, ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> {
          throw new AssertionError("magnitude needs no calibration");
        });
  }

  private void checkPruned(Path input, Path output) throws Exception {
    try (ModelFile in = ModelFile.read(input); ModelFile out = ModelFile.read(output)) {
      Inventory inv = Inventory.of(in.proto().getGraph(), SelectionRules.DEFAULT);
      GraphProto.Builder restored = out.proto().getGraph().toBuilder();
      for (PrunableTensor t : inv.prunable()) {
        float[] before = WeightCodec.readView(in, t);
        float[] after = WeightCodec.readView(out, t);
        int expected = (int) Math.floor(t.columns() * 0.5);
        for (int r = 0; r < t.rows(); r++) {
          int zeros = 0;
          float keptMin = Float.MAX_VALUE;
          float prunedMax = 0;
          for (int c = 0; c < t.columns(); c++) {
            int i = r * t.columns() + c;
            if (after[i] == 0f) {
              zeros++;
              prunedMax = Math.max(prunedMax, Math.abs(before[i]));
            } else {
              assertEquals(before[i], after[i], t.name() + ": kept weights keep their value");
              keptMin = Math.min(keptMin, Math.abs(before[i]));
            }
          }
          assertEquals(expected, zeros, t.name() + " row " + r);
          assertTrue(prunedMax <= keptMin, t.name() + ": the smallest magnitudes go");
        }
        restored.setInitializer(t.initializer(), in.proto().getGraph().getInitializer(t.initializer()));
      }
      ModelProto back = out.proto().toBuilder().setGraph(restored).build();
      assertEquals(in.proto(), back, "only the pruned initializers differ");
    }
  }

  @Test
  void tinyClip() throws Exception {
    Path input = BundledModels.tinyClip().resolve("model.onnx");
    Path output = tmp.resolve("tiny.onnx");
    PruneReport r = prune(input, output);
    assertEquals(786_432, r.totals().pruned());
    checkPruned(input, output);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(output.toString(), new OrtSession.SessionOptions());
        OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {{1, 5, 6, 2, 0, 0, 0, 0, 0, 0, 0, 0}});
        OnnxTensor mask = OnnxTensor.createTensor(env, new long[][] {{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}});
        OnnxTensor pixels = OnnxTensor.createTensor(env, new float[1][3][32][32])) {
      Map<String, OnnxTensor> feeds = new HashMap<>();
      feeds.put("input_ids", ids);
      feeds.put("attention_mask", mask);
      feeds.put("pixel_values", pixels);
      try (OrtSession.Result res = s.run(feeds)) {
        float[][] logits = (float[][]) res.get("logits_per_image").orElseThrow().getValue();
        assertTrue(Float.isFinite(logits[0][0]));
      }
    }
  }

  /** 2:4 for sparse tensor cores: at least 2 zeros in every run of 4 consecutive input features. */
  @Test
  void twoOfFourOnTinyClip() throws Exception {
    Path input = BundledModels.tinyClip().resolve("model.onnx");
    Path output = tmp.resolve("tiny-2of4.onnx");
    PruneOptions o = new PruneOptions(0.5, SparsityPattern.parse("2:4"), "magnitude", "uniform", null,
        Map.of(), Mode.SEQUENTIAL, 0);
    new PruneJob(input, output, null, SelectionRules.DEFAULT, o, ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> {
          throw new AssertionError("magnitude needs no calibration");
        });
    try (ModelFile out = ModelFile.read(output)) {
      Inventory inv = Inventory.of(out.proto().getGraph(), SelectionRules.DEFAULT);
      for (PrunableTensor t : inv.prunable()) {
        float[] w = WeightCodec.readView(out, t);
        for (int r = 0; r < t.rows(); r++) {
          for (int c0 = 0; c0 + 4 <= t.columns(); c0 += 4) {
            int zeros = 0;
            for (int c = c0; c < c0 + 4; c++) {
              if (w[r * t.columns() + c] == 0f) {
                zeros++;
              }
            }
            assertTrue(zeros >= 2, t.name() + " row " + r + " columns " + c0 + ".." + (c0 + 3));
          }
        }
      }
    }
  }

  @Test
  void miniLm() throws Exception {
    Path input = TestModels.miniLm();
    Path output = tmp.resolve("minilm.onnx");
    prune(input, output);
    checkPruned(input, output);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(output.toString(), new OrtSession.SessionOptions());
        OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {{101, 7592, 2088, 102}});
        OnnxTensor mask = OnnxTensor.createTensor(env, new long[][] {{1, 1, 1, 1}});
        OnnxTensor types = OnnxTensor.createTensor(env, new long[][] {{0, 0, 0, 0}})) {
      Map<String, OnnxTensor> feeds = new HashMap<>();
      feeds.put("input_ids", ids);
      feeds.put("attention_mask", mask);
      if (s.getInputNames().contains("token_type_ids")) {
        feeds.put("token_type_ids", types);
      }
      try (OrtSession.Result res = s.run(feeds)) {
        float[][][] hidden = (float[][][]) res.get(0).getValue();
        assertEquals(4, hidden[0].length);
        assertTrue(Float.isFinite(hidden[0][0][0]));
      }
    }
  }
}
