package dev.shears.core.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.pruning.WeightCodec;
import dev.shears.core.report.BlockReport;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fp16 weights are pruned with calibration and written back as fp16, with external data. */
class HalfPrecisionPruneTest {
  @TempDir Path tmp;

  @Test
  void wandaOnFloat16StaysFloat16() throws Exception {
    Path model = SyntheticClipBuilder.build(tmp.resolve("m"), 32, 2, true, 8);
    Path out = tmp.resolve("out.onnx");
    PruneOptions o = new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "uniform", null, Map.of(),
        Mode.SEQUENTIAL, 0);
    CalibrationConfig calib = new CalibrationConfig(tmp.resolve("m/calib"), null, CalibrationSources.Format.NPY,
        8, 4, "cpu");
    new PruneJob(model, out, null, SelectionRules.DEFAULT, o, ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> calib.open(m, Progress.NONE));
    try (ModelFile in = ModelFile.read(model); ModelFile pruned = ModelFile.read(out)) {
      Inventory inv = Inventory.of(pruned.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(24, inv.prunable().size());
      for (PrunableTensor t : inv.prunable()) {
        assertEquals(DataType.FLOAT16, t.dataType(), t.name());
        float[] before = WeightCodec.readView(in, t);
        float[] after = WeightCodec.readView(pruned, t);
        for (int r = 0; r < t.rows(); r++) {
          int zeros = 0;
          for (int c = 0; c < t.columns(); c++) {
            float a = after[r * t.columns() + c];
            if (a == 0f) {
              zeros++;
            } else {
              assertEquals(before[r * t.columns() + c], a, 0f, "kept fp16 values are unchanged");
            }
          }
          assertEquals(t.columns() / 2, zeros, t.name() + " row " + r);
        }
      }
    }
  }

  /** Zeroth-order queries feed perturbed fp16 tensors: every block gets a finite, positive importance. */
  @Test
  void ecoflapMeasuresFloat16Blocks() throws Exception {
    Path model = SyntheticClipBuilder.build(tmp.resolve("m"), 32, 2, true, 8);
    PruneOptions o = new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "ecoflap", null,
        Map.of("allocator.samples", "8"), Mode.SEQUENTIAL, 0);
    CalibrationConfig calib = new CalibrationConfig(tmp.resolve("m/calib"), null, CalibrationSources.Format.NPY,
        8, 4, "cpu");
    PruneReport report = new PruneJob(model, tmp.resolve("eco.onnx"), null, SelectionRules.DEFAULT, o,
        ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> calib.open(m, Progress.NONE));
    assertEquals(4, report.blocks().size());
    for (BlockReport b : report.blocks()) {
      assertTrue(b.importance() != null && Double.isFinite(b.importance()) && b.importance() > 0, b.toString());
    }
  }

  /** Pruned fp16 tensors reach the downstream sessions: every measured increase is finite, and some are not 0. */
  @Test
  void sensitivityMeasuresFloat16Blocks() throws Exception {
    Path model = SyntheticClipBuilder.build(tmp.resolve("m"), 32, 2, true, 8);
    PruneOptions o = new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "sensitivity", null,
        Map.of("allocator.samples", "8"), Mode.ONE_SHOT, 0);
    CalibrationConfig calib = new CalibrationConfig(tmp.resolve("m/calib"), null, CalibrationSources.Format.NPY,
        8, 4, "cpu");
    PruneReport report = new PruneJob(model, tmp.resolve("sens.onnx"), null, SelectionRules.DEFAULT, o,
        ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> calib.open(m, Progress.NONE));
    @SuppressWarnings("unchecked")
    Map<String, Map<Double, Double>> measured = (Map<String, Map<Double, Double>>) report.settings().get("lossIncrease");
    assertEquals(4, measured.size());
    boolean changed = false;
    for (Map<Double, Double> curve : measured.values()) {
      for (double v : curve.values()) {
        assertTrue(Double.isFinite(v), measured.toString());
        changed |= v != 0;
      }
    }
    assertTrue(changed, measured.toString());
  }
}
