package dev.shears.plugins.allocation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The arithmetic of the {@code sensitivity} allocator (ALGORITHM.md §1c): each block's
 * measured loss increases made convex and non-decreasing, and the split of an exact budget
 * that minimises their sum.
 */
final class LossCurves {
  /** Slopes within this relative distance count as equal and share the last part of the budget. */
  private static final double TIE = 1e-9;

  private LossCurves() {}

  /**
   * A block's curve as the lower convex hull of the measured points, a measured increase below
   * zero (noise: pruning cannot be expected to lower the loss) counted as zero. The curve starts
   * at the first point: the allocator never puts a block below the lowest sparsity it measured
   * (or {@code (0, 0)}, which is exact, when the caller passes it), since below that the curve
   * would be a guess.
   *
   * @param xs the sparsities, increasing, all at least 0
   * @param ys the loss increases measured there, finite
   * @return the hull's corners {@code {xs, ys}}, from the first point to the last
   */
  static double[][] convexify(double[] xs, double[] ys) {
    if (xs.length != ys.length || xs.length == 0) {
      throw new IllegalArgumentException("need as many increases as sparsities, at least one");
    }
    double[] hx = new double[xs.length];
    double[] hy = new double[xs.length];
    int n = 0;
    for (int i = 0; i < xs.length; i++) {
      if (!(xs[i] >= 0) || (i > 0 && !(xs[i] > xs[i - 1]))) {
        throw new IllegalArgumentException("sparsities must increase from 0 or above: " + Arrays.toString(xs));
      }
      if (!Double.isFinite(ys[i])) {
        throw new IllegalArgumentException("loss increase at sparsity " + xs[i] + " is not finite: " + ys[i]);
      }
      double x = xs[i];
      double y = Math.max(0, ys[i]);
      // drop the last corner while it lies on or above the chord from the one before it to (x, y)
      while (n >= 2 && (hx[n - 1] - hx[n - 2]) * (y - hy[n - 2]) - (hy[n - 1] - hy[n - 2]) * (x - hx[n - 2]) <= 0) {
        n--;
      }
      hx[n] = x;
      hy[n] = y;
      n++;
    }
    return new double[][] {Arrays.copyOf(hx, n), Arrays.copyOf(hy, n)};
  }

  /** One linear piece of a block's convex curve. */
  private record Segment(int block, int index, double costPerWeight, double weights, double width) {}

  /**
   * Minimises {@code Σ_g C_g(s_g)} subject to {@code Σ_g N_g s_g = s · P} over convex
   * piecewise-linear curves {@code C_g} (from {@link #convexify}), each block at least at its
   * curve's first sparsity: from there the curves' pieces are taken in increasing order of loss
   * per weight removed ({@code Δy / (N_g Δx)}), whole while the budget lasts. Pieces of equal
   * cost (within a relative 1e-9) are taken
   * together, each to the same fraction of its length, so the budget's last part is shared
   * among them and flat curves give every block the same sparsity; otherwise ties go to the
   * earlier block. Convexity makes a block's pieces come in order, so the greedy result is
   * optimal; it removes exactly {@code s · P} weights (up to rounding of doubles).
   *
   * @param sizes {@code N_g}, every one positive
   * @param curves each block's corners {@code {xs, ys}}, as {@link #convexify} returns them
   * @param sparsity the global target {@code s}
   * @return each block's sparsity, in the blocks' order
   * @throws IllegalArgumentException when the curves cannot reach the target (their last
   *     sparsities hold fewer than {@code s · P} weights, or their first more)
   */
  static double[] solve(long[] sizes, double[][][] curves, double sparsity) {
    if (sizes.length != curves.length) {
      throw new IllegalArgumentException("one curve per block");
    }
    double total = 0;
    double capacity = 0;
    double base = 0;
    double[] s = new double[sizes.length];
    List<Segment> segments = new ArrayList<>();
    for (int g = 0; g < sizes.length; g++) {
      if (sizes[g] <= 0) {
        throw new IllegalArgumentException("block " + g + " has no weights");
      }
      total += sizes[g];
      double[] xs = curves[g][0];
      double[] ys = curves[g][1];
      s[g] = xs[0];
      base += sizes[g] * xs[0];
      capacity += sizes[g] * xs[xs.length - 1];
      for (int j = 1; j < xs.length; j++) {
        double width = xs[j] - xs[j - 1];
        double weights = sizes[g] * width;
        segments.add(new Segment(g, j, (ys[j] - ys[j - 1]) / weights, weights, width));
      }
    }
    double budget = sparsity * total;
    if (capacity < budget * (1 - 1e-12)) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
          "the measured sparsities reach only %.6f of the weights, below the target %.6f",
          capacity / total, sparsity));
    }
    if (base > budget * (1 + 1e-12)) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
          "the lowest measured sparsities already remove %.6f of the weights, above the target %.6f",
          base / total, sparsity));
    }
    segments.sort(Comparator.comparingDouble(Segment::costPerWeight)
        .thenComparingInt(Segment::block).thenComparingInt(Segment::index));
    double remaining = budget - base;
    int i = 0;
    while (i < segments.size() && remaining > 0) {
      double first = segments.get(i).costPerWeight();
      int end = i;
      double weights = 0;
      while (end < segments.size()
          && segments.get(end).costPerWeight() - first <= TIE * Math.max(Math.abs(first), Double.MIN_NORMAL)) {
        weights += segments.get(end).weights();
        end++;
      }
      double fraction = weights <= remaining ? 1 : remaining / weights;
      for (int k = i; k < end; k++) {
        Segment seg = segments.get(k);
        s[seg.block()] += fraction * seg.width();
      }
      remaining -= fraction * weights;
      if (fraction < 1) {
        remaining = 0;
      }
      i = end;
    }
    for (int g = 0; g < s.length; g++) {
      double[] xs = curves[g][0];
      s[g] = Math.min(Math.max(s[g], xs[0]), xs[xs.length - 1]);
    }
    return s;
  }
}
