package dev.shears.core.pruning;

import dev.shears.core.PluginFailure;
import dev.shears.core.graph.PrunableTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the coarse stage's per-block sparsities into per-tensor targets that remove exactly
 * the global budget.
 *
 * <p>The fine stage removes the same whole number of weights from every output row of a
 * tensor ({@code floor(columns × s)} in per-row groups), so a block's sparsity can only be
 * met to within one weight per row, and flooring row by row always falls short: ECoFLaP at
 * 50% used to land at 49.6–49.9%. Here each tensor's per-row count is rounded from what its
 * block asks, and the rounding remainder is carried to the next tensor, across blocks, so
 * that the total equals {@code round(P × s)} to within half a row of the last tensor. The
 * sparsity handed to the scorer is chosen so that per-row ({@code floor(columns × s)}) and
 * per-tensor ({@code floor(rows × columns × s)}) groups remove the same count.
 */
final class BudgetPlan {
  private BudgetPlan() {}

  /**
   * Per-tensor sparsities from per-block ones.
   *
   * @param blocks the inventory's blocks, each with its tensors, in graph order
   * @param allocation each block's sparsity, as the allocator decided
   * @param sparsity the global target
   * @param allocator the allocator, for messages
   * @return tensor name to the sparsity its scorer is asked for
   * @throws PluginFailure when the allocation does not add up to the target (more than one
   *     weight per block off)
   */
  static Map<String, Double> of(Map<String, List<PrunableTensor>> blocks, Map<String, Double> allocation,
      double sparsity, PluginFailure.Strategy allocator) {
    Map<String, Double> asked = new LinkedHashMap<>();
    blocks.forEach((b, tensors) -> tensors.forEach(t -> asked.put(t.name(), allocation.get(b))));
    return ofTensors(blocks, asked, sparsity, allocator);
  }

  /**
   * Per-tensor sparsities from what the allocator asked of each tensor.
   *
   * @param blocks the inventory's blocks, each with its tensors, in graph order
   * @param asked each tensor's sparsity, as the allocator decided
   * @param sparsity the global target
   * @param allocator the allocator, for messages
   * @return tensor name to the sparsity its scorer is asked for
   * @throws PluginFailure when the allocation does not add up to the target (more than one
   *     weight per block off)
   */
  static Map<String, Double> ofTensors(Map<String, List<PrunableTensor>> blocks, Map<String, Double> asked,
      double sparsity, PluginFailure.Strategy allocator) {
    double askedTotal = 0;
    long total = 0;
    for (List<PrunableTensor> tensors : blocks.values()) {
      for (PrunableTensor t : tensors) {
        askedTotal += t.parameters() * asked.get(t.name());
        total += t.parameters();
      }
    }
    long target = Math.round(total * sparsity);
    if (Math.abs(askedTotal - total * sparsity) > blocks.size() + 1e-9 * total) {
      throw PluginFailure.refused(allocator, String.format(Locale.ROOT,
          "removes %.4f%% of the prunable weights, not the %.4f%% asked for; an allocator must keep the"
              + " global budget", 100 * askedTotal / total, 100 * sparsity));
    }
    double scale = askedTotal > 0 ? target / askedTotal : 0;
    Map<String, Double> out = new LinkedHashMap<>();
    double wanted = 0;
    long removed = 0;
    for (List<PrunableTensor> tensors : blocks.values()) {
      for (PrunableTensor t : tensors) {
        wanted += t.parameters() * asked.get(t.name()) * scale;
        long perRow = Math.round((wanted - removed) / t.rows());
        perRow = Math.max(0, Math.min(t.columns() - 1L, perRow));
        removed += perRow * t.rows();
        out.put(t.name(), sparsityFor(perRow, t.rows(), t.columns()));
      }
    }
    return out;
  }

  /** The sparsity {@code asked} gives {@code tensors} together: each tensor's, weighted by its size. */
  static double weightedMean(List<PrunableTensor> tensors, Map<String, Double> asked) {
    double weighted = 0;
    long total = 0;
    for (PrunableTensor t : tensors) {
      weighted += asked.get(t.name()) * t.parameters();
      total += t.parameters();
    }
    return weighted / total;
  }

  /**
   * The sparsity at which both {@code floor(columns × s)} and {@code floor(rows × columns × s)}
   * give {@code perRow} per row: the plain ratio {@code perRow / columns} when floating point
   * keeps it exact (so 50% reads 0.5), else half a row's worth above it, far from either
   * rounding edge.
   */
  static double sparsityFor(long perRow, int rows, int columns) {
    double plain = (double) perRow / columns;
    if (Math.floor(columns * plain) == perRow && Math.floor((double) rows * columns * plain) == (double) perRow * rows) {
      return plain;
    }
    return (perRow + 0.5 / rows) / columns;
  }
}
