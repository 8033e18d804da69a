package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.api.Evidence;
import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.pruning.PruningPipeline;
import dev.shears.core.pruning.WeightCodec;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Against the independent PyTorch implementation's numbers in tinyclip-shapes/reference. */
class WandaReferenceTest {
  static final Path DIR = BundledModels.tinyClip();

  static CalibrationConfig calib(int samples) {
    // the reference counts padded text positions too
    return new CalibrationConfig(DIR.resolve("calib"), null, CalibrationSources.Format.NPY, samples, 16, "cpu", true);
  }

  @Test
  void activationNormsMatchReference() throws Exception {
    JsonNode ref = new ObjectMapper().readTree(DIR.resolve("reference/wanda_norms.json").toFile()).get("layers");
    try (ModelFile model = ModelFile.read(DIR.resolve("model.onnx"));
        OrtStatisticsEngine engine = calib(128).open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Map<String, LayerStatistics> stats = engine.oneShot(inv.prunable(), Set.of(Evidence.ACTIVATION_NORMS));
      assertEquals(48, stats.size());
      int checked = 0;
      for (PrunableTensor t : inv.prunable()) {
        JsonNode layer = ref.get(t.name());
        LayerStatistics s = stats.get(t.name());
        assertEquals(layer.get("num_tokens").asLong(), s.tokens(), t.name());
        JsonNode norms = layer.get("norm");
        for (int j = 0; j < t.columns(); j++) {
          double expected = norms.get(j).asDouble();
          double actual = Math.sqrt(s.squareSums()[j]);
          assertEquals(expected, actual, 1e-4 * Math.max(expected, 1e-6), t.name() + "[" + j + "]");
          checked++;
        }
      }
      assertTrue(checked > 48 * 128 - 1);
    }
  }

  @Test
  void oneShotWandaMasksMatchReference() throws Exception {
    try (ModelFile model = ModelFile.read(DIR.resolve("model.onnx"));
        ModelFile reference = ModelFile.read(DIR.resolve("reference/wanda-0.5.onnx"))) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      PruneOptions options = new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "uniform", null,
          Map.of(), Mode.ONE_SHOT, 0);
      PruningPipeline.Result result = new PruningPipeline(StrategyRegistry.load(getClass().getClassLoader()),
          Progress.NONE).run(model, inv, options, () -> calib(128).open(model, Progress.NONE));
      long agree = 0;
      long total = 0;
      for (PrunableTensor t : inv.prunable()) {
        float[] ours = WeightCodecAccess.view(result.toModel(model), model, t);
        float[] theirs = WeightCodec.readView(reference, t);
        for (int i = 0; i < ours.length; i++) {
          if ((ours[i] == 0f) == (theirs[i] == 0f)) {
            agree++;
          }
          total++;
        }
      }
      double agreement = (double) agree / total;
      assertTrue(agreement >= 0.999, "mask agreement " + agreement);
    }
  }
}
