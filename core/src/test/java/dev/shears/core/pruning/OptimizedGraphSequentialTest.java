package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's own optimized save of all-MiniLM-L6-v2 names its fused {@code BiasGelu} nodes
 * without the block's path. Sequential statistics must not care: the masks equal the original
 * file's (name-based sequential statistics used to differ on 1.0–1.3% of them).
 */
class OptimizedGraphSequentialTest {
  @TempDir Path tmp;

  @Test
  void sequentialWandaOnTheOptimizedSaveMatchesTheOriginal() throws Exception {
    Path original = TestModels.miniLm();
    Path optimized = tmp.resolve("minilm-extended.onnx");
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      o.setOptimizedModelFilePath(optimized.toString());
      OrtEnvironment.getEnvironment().createSession(original.toString(), o).close();
    }
    Files.copy(original.getParent().resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
    CalibrationConfig calib = new CalibrationConfig(TestModels.miniLmCalib(tmp), original.getParent(),
        CalibrationSources.Format.CAPTIONS, 16, 8, "cpu");
    Map<String, float[]> a = prune(original, calib);
    Map<String, float[]> b = prune(optimized, calib);
    long agree = 0;
    long total = 0;
    for (Map.Entry<String, float[]> e : a.entrySet()) {
      float[] x = e.getValue();
      float[] y = b.get(e.getKey());
      for (int i = 0; i < x.length; i++) {
        agree += (x[i] == 0f) == (y[i] == 0f) ? 1 : 0;
        total++;
      }
    }
    double agreement = (double) agree / total;
    assertTrue(agreement > 0.9995, "mask agreement " + agreement);
  }

  private static Map<String, float[]> prune(Path input, CalibrationConfig calib) {
    Map<String, float[]> out = new HashMap<>();
    try (ModelFile model = ModelFile.read(input)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      try (PruningPipeline.Result result = new PruningPipeline(
          StrategyRegistry.load(OptimizedGraphSequentialTest.class.getClassLoader()), Progress.NONE).run(model, inv,
          new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "uniform", null, Map.of(),
              Mode.SEQUENTIAL, 0), () -> calib.open(model, Progress.NONE))) {
        var pruned = result.toModel(model);
        for (PrunableTensor t : inv.prunable()) {
          out.put(t.name(), model.readFloats(pruned.getGraph().getInitializer(t.initializer())));
        }
      }
    }
    return out;
  }
}
