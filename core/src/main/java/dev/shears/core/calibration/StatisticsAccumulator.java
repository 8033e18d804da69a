package dev.shears.core.calibration;

import dev.shears.core.graph.StatisticsProbes.Probe;
import dev.shears.core.pruning.LayerStatistics;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sums per-batch reductions into per-tensor statistics, in double: a float sum over many
 * batches would lose the small contributions the reference keeps.
 */
final class StatisticsAccumulator {
  private final Map<String, double[]> squareSums = new LinkedHashMap<>();
  private final Map<String, double[]> grams = new LinkedHashMap<>();
  private final Map<String, long[]> tokens = new LinkedHashMap<>();

  void add(Probe probe, long rows, float[] ss, float[] gram) {
    tokens.computeIfAbsent(probe.tensor(), k -> new long[1])[0] += rows;
    if (ss != null) {
      double[] acc = squareSums.computeIfAbsent(probe.tensor(), k -> new double[ss.length]);
      for (int i = 0; i < ss.length; i++) {
        acc[i] += ss[i];
      }
    }
    if (gram != null) {
      double[] acc = grams.computeIfAbsent(probe.tensor(), k -> new double[gram.length]);
      for (int i = 0; i < gram.length; i++) {
        acc[i] += gram[i];
      }
    }
  }

  Map<String, LayerStatistics> result() {
    Map<String, LayerStatistics> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : tokens.entrySet()) {
      out.put(e.getKey(), new LayerStatistics(squareSums.get(e.getKey()), grams.get(e.getKey()), e.getValue()[0]));
    }
    return out;
  }
}
