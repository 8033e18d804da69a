package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.Evidence;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Σ|x| and max|x| per input feature, gathered with the sum of squares on the same tokens,
 * must satisfy what holds for any set of numbers: max² ≤ Σx² ≤ max·Σ|x|, (Σ|x|)² ≤ n·Σx²,
 * Σ|x| ≤ n·max; and asking for them leaves the sum of squares unchanged.
 */
class AbsoluteStatisticsTest {

  @Test
  void absoluteSumsAndMaximaAgreeWithTheSumsOfSquares() throws Exception {
    try (ModelFile model = ModelFile.read(WandaReferenceTest.DIR.resolve("model.onnx"));
        OrtStatisticsEngine engine = WandaReferenceTest.calib(32).open(model, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Map<String, LayerStatistics> all = engine.oneShot(inv.prunable(),
          Set.of(Evidence.ACTIVATION_NORMS, Evidence.ACTIVATION_ABS_SUMS, Evidence.ACTIVATION_ABS_MAX));
      Map<String, LayerStatistics> normsOnly = engine.oneShot(inv.prunable(), Set.of(Evidence.ACTIVATION_NORMS));
      Map<String, LayerStatistics> maxOnly = engine.oneShot(inv.prunable(), Set.of(Evidence.ACTIVATION_ABS_MAX));
      int strict = 0;
      for (PrunableTensor t : inv.prunable()) {
        LayerStatistics s = all.get(t.name());
        assertArrayEquals(normsOnly.get(t.name()).squareSums(), s.squareSums(), t.name());
        assertArrayEquals(maxOnly.get(t.name()).absMax(), s.absMax(), t.name());
        assertNull(maxOnly.get(t.name()).absSums(), t.name());
        assertNull(normsOnly.get(t.name()).absMax(), t.name());
        assertEquals(t.columns(), s.absSums().length, t.name());
        assertEquals(t.columns(), s.absMax().length, t.name());
        double n = s.tokens();
        assertTrue(n > 1, t.name());
        for (int j = 0; j < t.columns(); j++) {
          double sq = s.squareSums()[j];
          double sum = s.absSums()[j];
          double max = s.absMax()[j];
          double tol = 1e-4 * (sq + sum * max + 1e-9);
          String at = t.name() + "[" + j + "]";
          assertTrue(max >= 0 && sum >= max - 1e-6 * sum, at + ": max " + max + ", sum " + sum);
          assertTrue(max * max <= sq + tol, at + ": max² " + max * max + " > Σx² " + sq);
          assertTrue(sq <= max * sum + tol, at + ": Σx² " + sq + " > max·Σ|x| " + max * sum);
          assertTrue(sum * sum <= n * sq * (1 + 1e-4) + 1e-9, at + ": (Σ|x|)² > n·Σx²");
          assertTrue(sum <= n * max * (1 + 1e-6) + 1e-9, at + ": Σ|x| > n·max");
          if (max * max < 0.99 * sq && sq < 0.99 * max * sum) {
            strict++;
          }
        }
      }
      // not vacuous: for most features the bounds are far from tight, as for real activations
      assertTrue(strict > 48 * 64, "strict inequalities on " + strict + " features");
    }
  }
}
