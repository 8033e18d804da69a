package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's environment names the device the forward passes ran on, whichever strategy ran
 * them: a data-free scorer under an allocator that calibrates still ran passes.
 */
class ReportedDeviceTest {
  @TempDir Path dir;

  private PruneReport prune(String allocator) {
    CalibrationConfig calib = new CalibrationConfig(BundledModels.tinyClip().resolve("calib"), null,
        CalibrationSources.Format.NPY, 16, 16, "cpu");
    PruneOptions options = new PruneOptions(0.5, SparsityPattern.unstructured(), "magnitude", allocator, null,
        Map.of(), Mode.ONE_SHOT, 1);
    return new PruneJob(TestModels.tinyClip(), dir.resolve(allocator + ".onnx"), null, SelectionRules.DEFAULT,
        options, ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> calib.open(m, Progress.NONE));
  }

  @Test
  void magnitudeUnderEcoflapRanOnTheCpu() {
    assertEquals("cpu", prune("ecoflap").environment().get("device"));
  }

  @Test
  void magnitudeUnderUniformRanNoPasses() {
    assertEquals("none (data-free: no forward passes)", prune("uniform").environment().get("device"));
  }
}
