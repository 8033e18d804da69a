package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.SparsityPattern;
import dev.shears.core.PluginFailure;
import dev.shears.core.ShearsException;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The global budget is kept exactly, whatever the allocator: per-row rounding remainders are
 * carried from tensor to tensor, so the total is {@code round(P × s)} to within half a row.
 */
class ExactBudgetTest {
  @TempDir Path tmp;

  @Test
  void remaindersAreCarriedAcrossTensorsAndBlocks() {
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    blocks.put("a", List.of(tensor("t1", "a", 3, 10)));
    blocks.put("b", List.of(tensor("t2", "b", 5, 7)));
    // asked: 30 × 0.3 + 35 × 0.55 = 28.25 of 65 weights; target round(28.25) = 28
    Map<String, Double> s = BudgetPlan.of(blocks, Map.of("a", 0.3, "b", 0.55), 28.25 / 65, who("x", "x.jar"));
    // t1 wants 9 × 28 / 28.25 = 8.92 -> 3 per row (9); t2 wants 28 - 9 = 19 -> round(3.8) = 4 per row (20)
    assertEquals(3, (int) Math.floor(10 * s.get("t1")));
    assertEquals(9, (long) Math.floor(30 * s.get("t1")), "per-tensor groups remove the same count");
    assertEquals(4, (int) Math.floor(7 * s.get("t2")));
    assertEquals(20, (long) Math.floor(35 * s.get("t2")));
  }

  @Test
  void aSplitBlockKeepsTheBudgetLayerByLayer() {
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    blocks.put("a", List.of(tensor("q", "a", 4, 10), tensor("down", "a", 2, 20)));
    blocks.put("b", List.of(tensor("t", "b", 5, 8)));
    // asked: 40 × 0.4 + 40 × 0.6 + 40 × 0.5 = 60 of 120: exactly half, nothing to carry
    Map<String, Double> s = BudgetPlan.ofTensors(blocks, Map.of("q", 0.4, "down", 0.6, "t", 0.5), 0.5,
        who("x", "x.jar"));
    assertEquals(4, (int) Math.floor(10 * s.get("q")), "each layer gets what was asked of it, not its block's");
    assertEquals(12, (int) Math.floor(20 * s.get("down")));
    assertEquals(4, (int) Math.floor(8 * s.get("t")));
  }

  @Test
  void anAllocationOffTheBudgetIsRefusedNamingTheAllocator() {
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    blocks.put("a", List.of(tensor("t1", "a", 30, 100)));
    blocks.put("b", List.of(tensor("t2", "b", 30, 100)));
    ShearsException e = assertThrows(ShearsException.class,
        () -> BudgetPlan.of(blocks, Map.of("a", 0.1, "b", 0.1), 0.5, who("mine", "mine.jar")));
    assertTrue(e.getMessage().contains("allocator 'mine' (from mine.jar) removes 10.0000% of the prunable weights,"
        + " not the 50.0000% asked for"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({"uniform, 0.5", "uniform, 0.7", "ecoflap, 0.5", "ecoflap, 0.7", "owl, 0.5", "owl, 0.6",
      "test-uneven, 0.5"})
  void tinyClipMeetsTheTarget(String allocator, double sparsity) {
    PruneReport r = prune(TestModels.tinyClip(), allocator, sparsity, tinyClipCalib());
    assertExact(r, sparsity);
  }

  @Test
  void miniLmWithTheDefaultAllocatorMeetsTheTarget() throws Exception {
    CalibrationConfig calib = new CalibrationConfig(TestModels.miniLmCalib(tmp),
        TestModels.miniLm().getParent(), CalibrationSources.Format.CAPTIONS, 16, 8, "cpu");
    PruneReport r = prune(TestModels.miniLm(), "ecoflap", 0.5, calib);
    assertExact(r, 0.5);
    assertEquals("50.00%", String.format(java.util.Locale.ROOT, "%.2f%%", 100 * r.totals().sparsity()));
  }

  @Test
  void anAllocatorBreakingTheBudgetIsRefused() {
    ShearsException e = assertThrows(ShearsException.class, () -> {
      try (ModelFile model = ModelFile.read(TestModels.tinyClip())) {
        Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
        new PruningPipeline(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE).run(model, inv,
            new PruneOptions(0.5, SparsityPattern.unstructured(), "magnitude", "test-uneven", null,
                Map.of("allocator.off", "true"), Mode.ONE_SHOT, 0), () -> null).close();
      }
    });
    assertTrue(e.getMessage().contains("allocator 'test-uneven'"), e.getMessage());
  }

  /** Within half a row of the largest tensor of {@code round(P × s)}, and 50.00% when rounded. */
  private static void assertExact(PruneReport r, double sparsity) {
    long target = Math.round(r.totals().prunableParameters() * sparsity);
    long maxRows = r.tensors().stream().mapToLong(t -> Math.max(t.shape()[0], t.shape()[1])).max().orElseThrow();
    long off = Math.abs(r.totals().pruned() - target);
    assertTrue(off <= maxRows / 2, "pruned " + r.totals().pruned() + ", target " + target);
    assertEquals(100 * sparsity, 100 * r.totals().sparsity(), 0.005);
  }

  private static CalibrationConfig tinyClipCalib() {
    return new CalibrationConfig(BundledModels.tinyClip().resolve("calib"), null, CalibrationSources.Format.NPY,
        32, 16, "cpu");
  }

  private static PruneReport prune(Path input, String allocator, double sparsity, CalibrationConfig calib) {
    try (ModelFile model = ModelFile.read(input)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      try (PruningPipeline.Result result = new PruningPipeline(
          StrategyRegistry.load(ExactBudgetTest.class.getClassLoader()), Progress.NONE).run(model, inv,
          new PruneOptions(sparsity, SparsityPattern.unstructured(), "wanda", allocator, null, Map.of(),
              Mode.ONE_SHOT, 1), () -> calib.open(model, Progress.NONE))) {
        return result.report();
      }
    }
  }

  private static PluginFailure.Strategy who(String name, String jar) {
    return new PluginFailure.Strategy(dev.shears.api.StrategyKind.ALLOCATOR, name, jar);
  }

  private static PrunableTensor tensor(String name, String block, int rows, int columns) {
    return new PrunableTensor(name, 0, block, "", DataType.FLOAT, WeightLayout.OUT_IN, rows, columns,
        List.of(new Consumer(name + "/MatMul", "MatMul", "x", 0)));
  }
}
