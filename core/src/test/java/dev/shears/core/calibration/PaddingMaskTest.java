package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.api.Evidence;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import dev.shears.testdata.BundledModels;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Statistics count real tokens only: padded text positions add nothing, image positions all
 * count. The expected numbers are computed here from activations read out of ONNX Runtime
 * and the batch's own attention mask.
 */
class PaddingMaskTest {
  @TempDir Path tmp;

  /**
   * MiniLM pads every sentence to 128 tokens; each layer's sums must equal those over the
   * positions whose mask is 1, and its token count the mask's sum.
   */
  @Test
  void miniLmStatisticsCountOnlyRealTokens() throws Exception {
    Path modelPath = TestModels.miniLm();
    CalibrationConfig calib = new CalibrationConfig(TestModels.miniLmCalib(tmp), modelPath.getParent(),
        CalibrationSources.Format.CAPTIONS, 8, 8, "cpu");
    try (ModelFile model = ModelFile.read(modelPath);
        OrtStatisticsEngine engine = calib.open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      List<PrunableTensor> probed = List.of(inv.prunable().get(0), inv.prunable().get(inv.prunable().size() - 1));
      Map<String, LayerStatistics> stats = engine.oneShot(probed, Set.of(Evidence.ACTIVATION_NORMS));

      CalibrationBatch b;
      try (CalibrationSource.BatchReader reader = calib.source(model).open(8)) {
        b = reader.next();
      }
      long[] mask = longs(b.inputs().get("attention_mask"));
      long real = 0;
      for (long m : mask) {
        real += m;
      }
      assertTrue(real < mask.length / 2, "the test needs a batch that is mostly padding");

      ModelProto.Builder withActivations = model.proto().toBuilder();
      for (PrunableTensor t : probed) {
        withActivations.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(t.consumers().get(0).activation()));
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      Map<String, OnnxTensor> feeds = new HashMap<>();
      try (OrtSession s = env.createSession(withActivations.build().toByteArray())) {
        for (String input : s.getInputNames()) {
          feeds.put(input, OrtTensors.of(env, b.inputs().get(input), Map.of()));
        }
        try (OrtSession.Result r = s.run(feeds)) {
          for (PrunableTensor t : probed) {
            Consumer c = t.consumers().get(0);
            OnnxTensor a = (OnnxTensor) r.get(c.activation()).orElseThrow();
            FloatBuffer x = a.getFloatBuffer();
            int features = t.columns();
            double[] expected = new double[features];
            for (int pos = 0; pos < mask.length; pos++) {
              if (mask[pos] != 0) {
                for (int j = 0; j < features; j++) {
                  double v = x.get(pos * features + j);
                  expected[j] += v * v;
                }
              }
            }
            LayerStatistics got = stats.get(t.name());
            assertEquals(real, got.tokens(), t.name());
            for (int j = 0; j < features; j++) {
              assertEquals(expected[j], got.squareSums()[j], 1e-4 * Math.max(expected[j], 1e-3),
                  t.name() + "[" + j + "]");
            }
          }
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
      // a later pass over tensors the first did not read decides their masking too
      PrunableTensor later = inv.prunable().get(inv.prunable().size() / 2);
      assertEquals(real, engine.oneShot(List.of(later), Set.of(Evidence.ACTIVATION_NORMS)).get(later.name()).tokens(),
          later.name());
    }
  }

  /**
   * On tinyclip the image tower's statistics are the reference's (every patch counts) while
   * the text tower's exclude the padded positions, unless padding is counted on request.
   */
  @Test
  void imagePositionsAllCountTextPaddingDoesNot() throws Exception {
    Path dir = BundledModels.tinyClip();
    JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference/wanda_norms.json").toFile()).get("layers");
    CalibrationConfig masked = new CalibrationConfig(dir.resolve("calib"), null, CalibrationSources.Format.NPY,
        128, 16, "cpu");
    try (ModelFile model = ModelFile.read(dir.resolve("model.onnx"));
        OrtStatisticsEngine engine = masked.open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Map<String, LayerStatistics> stats = engine.oneShot(inv.prunable(), Set.of(Evidence.ACTIVATION_NORMS));
      int vision = 0;
      int text = 0;
      for (PrunableTensor t : inv.prunable()) {
        JsonNode layer = ref.get(t.name());
        double[] norms = new double[t.columns()];
        for (int j = 0; j < norms.length; j++) {
          norms[j] = Math.sqrt(stats.get(t.name()).squareSums()[j]);
        }
        double[] theirs = new double[t.columns()];
        for (int j = 0; j < theirs.length; j++) {
          theirs[j] = layer.get("norm").get(j).asDouble();
        }
        if (t.tower().contains("vision")) {
          assertEquals(layer.get("num_tokens").asLong(), stats.get(t.name()).tokens(), t.name());
          assertArrayEquals(theirs, norms, 1e-4 * max(theirs), t.name());
          vision++;
        } else {
          assertTrue(stats.get(t.name()).tokens() < layer.get("num_tokens").asLong(), t.name());
          assertNotEquals(theirs[0], norms[0], t.name());
          text++;
        }
      }
      assertEquals(24, vision);
      assertEquals(24, text);
    }
  }

  private static double max(double[] v) {
    double m = 0;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  private static long[] longs(HostTensor t) {
    LongBuffer b = (LongBuffer) t.data().duplicate();
    long[] v = new long[b.remaining()];
    b.get(v);
    return v;
  }
}
