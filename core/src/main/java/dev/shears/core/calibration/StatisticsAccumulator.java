package dev.shears.core.calibration;

import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.graph.StatisticsProbes.Probe;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sums per-batch reductions into per-tensor statistics, in double: a float sum over many
 * batches would lose the small contributions the reference keeps. Sums are kept per probe
 * output, which probes on the same activation share, so each is added once per batch.
 */
final class StatisticsAccumulator {
  private final Map<String, double[]> sums = new HashMap<>();
  private final Map<String, long[]> rows = new HashMap<>();

  /** Adds one batch's value of a reduction output. */
  void add(String output, float[] values) {
    double[] acc = sums.computeIfAbsent(output, k -> new double[values.length]);
    for (int i = 0; i < values.length; i++) {
      acc[i] += values[i];
    }
  }

  /** Keeps the elementwise maximum of one batch's value of a reduction output and the earlier ones. */
  void max(String output, float[] values) {
    double[] acc = sums.computeIfAbsent(output, k -> {
      double[] a = new double[values.length];
      java.util.Arrays.fill(a, Double.NEGATIVE_INFINITY);
      return a;
    });
    for (int i = 0; i < values.length; i++) {
      acc[i] = Math.max(acc[i], values[i]);
    }
  }

  /** Adds one batch's token count of a probe's {@code rows} output. */
  void addRows(String output, long count) {
    rows.computeIfAbsent(output, k -> new long[1])[0] += count;
  }

  /** Per tensor, the sums of its probes (a weight read by several nodes sums their inputs). */
  Map<String, LayerStatistics> result(List<Probe> probes) {
    Map<String, LayerStatistics> out = new LinkedHashMap<>();
    for (Probe p : probes) {
      LayerStatistics mine = new LayerStatistics(copy(p.squareSums()), copy(p.gram()), rows.get(p.rows())[0],
          copy(p.absSums()), copy(p.absMax()));
      out.merge(p.tensor(), mine, StatisticsAccumulator::plus);
    }
    return out;
  }

  private double[] copy(String output) {
    return output == null ? null : sums.get(output).clone();
  }

  private static LayerStatistics plus(LayerStatistics a, LayerStatistics b) {
    return new LayerStatistics(plus(a.squareSums(), b.squareSums()), plus(a.gram(), b.gram()), a.tokens() + b.tokens(),
        plus(a.absSums(), b.absSums()), max(a.absMax(), b.absMax()));
  }

  private static double[] max(double[] a, double[] b) {
    if (a == null) {
      return null;
    }
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.max(a[i], b[i]);
    }
    return a;
  }

  private static double[] plus(double[] a, double[] b) {
    if (a == null) {
      return null;
    }
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }
}
