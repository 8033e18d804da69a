package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.BlockReport;
import dev.shears.core.report.PruneReport;
import dev.shears.core.report.TensorReport;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The {@code sensitivity} allocator end to end on the bundled tinyclip-shapes model
 * (ALGORITHM.md §1c): every block pruned alone at each grid point, the budget kept exactly, a
 * non-uniform allocation, and the same output bytes for the same seed.
 */
class SensitivityPruneTest {
  private record Run(PruneReport report, byte[] model) {}

  /** Each task's declared total and the steps it made. */
  private static final class Recording implements Progress {
    final Map<String, long[]> tasks = new java.util.LinkedHashMap<>();

    @Override
    public synchronized Task start(String task, long total) {
      long[] t = {total, 0};
      tasks.put(task, t);
      return new Task() {
        @Override
        public void step(long n) {
          synchronized (Recording.this) {
            t[1] += n;
          }
        }

        @Override
        public void close() {}
      };
    }
  }

  private static Run prune(long seed) {
    return prune(seed, Progress.NONE);
  }

  private static Run prune(long seed, Progress progress) {
    CalibrationConfig calib = new CalibrationConfig(BundledModels.tinyClip().resolve("calib"), null,
        CalibrationSources.Format.NPY, 32, 16, "cpu");
    try (ModelFile model = ModelFile.read(TestModels.tinyClip())) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      try (PruningPipeline.Result result = new PruningPipeline(
          StrategyRegistry.load(SensitivityPruneTest.class.getClassLoader()), progress).run(model, inv,
          new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "sensitivity", null, Map.of(),
              Mode.ONE_SHOT, seed), () -> calib.open(model, Progress.NONE))) {
        return new Run(result.report(), result.toModel(model).toByteArray());
      }
    }
  }

  @Test
  void prunesTinyClipToTheExactBudgetNonUniformlyAndDeterministically() {
    Recording progress = new Recording();
    Run first = prune(1, progress);
    PruneReport r = first.report();
    // the bar counts one step per (block, sparsity) measured, and knows their number up front
    long[] bar = progress.tasks.get("Pruned-loss evaluations");
    assertEquals(5L * r.blocks().size(), bar[0]);
    assertEquals(bar[0], bar[1]);
    long target = Math.round(r.totals().prunableParameters() * 0.5);
    long maxRows = r.tensors().stream().mapToLong(t -> Math.max(t.shape()[0], t.shape()[1])).max().orElseThrow();
    assertTrue(Math.abs(r.totals().pruned() - target) <= maxRows / 2,
        "pruned " + r.totals().pruned() + ", target " + target);
    assertEquals(50.0, 100 * r.totals().sparsity(), 0.005);

    Set<Double> allocated = new TreeSet<>();
    for (BlockReport b : r.blocks()) {
      allocated.add(Math.round(b.allocatedSparsity() * 1e6) / 1e6);
    }
    assertTrue(allocated.size() > 1, "non-uniform allocation: " + allocated);

    // inside each block the MLP's down-projection (fc2, 512 -> 128) takes 0.05 of every other
    // layer's share: the others hold 131,072 weights and fc2 65,536, so fc2 is 0.1 above the block
    Map<String, Double> blockSparsity = new java.util.HashMap<>();
    r.blocks().forEach(b -> blockSparsity.put(b.name(), b.allocatedSparsity()));
    for (TensorReport t : r.tensors()) {
      double block = blockSparsity.get(t.block());
      boolean down = t.nodes().get(0).endsWith("/mlp/fc2/MatMul");
      assertEquals(down ? block + 0.1 : block - 0.05, t.targetSparsity(), 1e-9, t.nodes().toString());
      assertEquals(t.targetSparsity(), t.achievedSparsity(), 0.01, t.nodes().toString());
    }

    // every block measured at the five grid points (0.4 ... 0.6), and nothing else
    @SuppressWarnings("unchecked")
    Map<String, Map<Double, Double>> measured = (Map<String, Map<Double, Double>>) r.settings().get("lossIncrease");
    assertEquals(r.blocks().size(), measured.size());
    for (Map<Double, Double> curve : measured.values()) {
      assertEquals(List.of(0.4, 0.45, 0.5, 0.55, 0.6), List.copyOf(curve.keySet()));
    }
    // one-shot: the dense statistics taken for the measurements serve the fine stage
    assertTrue(r.timingsSeconds().containsKey("statistics (allocation)"), r.timingsSeconds().toString());
    assertFalse(r.timingsSeconds().containsKey("statistics"), r.timingsSeconds().toString());

    Run again = prune(1);
    assertArrayEquals(first.model(), again.model(), "same seed, same bytes");
  }

  @Test
  void aBlockViewWithoutMeasurementsRefuses() {
    BlockView view = new BlockView("b", "t", List.of(), null, null, null);
    assertThrows(IllegalStateException.class, () -> view.lossIncrease(0.5));
    assertThrows(IllegalArgumentException.class, () -> view.lossIncrease(1.0));
  }
}
