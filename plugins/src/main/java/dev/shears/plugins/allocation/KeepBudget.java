package dev.shears.plugins.allocation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The integer core of ECoFLaP's allocation (ALGORITHM.md §1b): how many weights each block
 * keeps, given block sizes and importances. Kept apart from {@link EcoflapAllocator} so that
 * its guarantees can be tested on plain arrays.
 *
 * <p>Guarantees: {@code Σ keep = K = floor(P (1 - s))} exactly, and {@code keep_g >=
 * ceil(N_g (1 - s_max))} (so {@code s_g <= s_max}) whenever those floors fit in {@code K};
 * they always do when blocks hold more than about {@code 1/maxSparsityDelta} weights each.
 */
final class KeepBudget {
  private KeepBudget() {}

  /**
   * Splits the budget.
   *
   * @param sizes {@code N_g}, the weights of each block, each at least one
   * @param importance {@code S_g}; all-zero, negative, infinite or NaN values make the split
   *     proportional to size instead, since no importance information is left to follow
   * @param sparsity the global target {@code s} in {@code [0, 1)}
   * @param maxSparsityDelta how far above {@code s} a block may go; {@code s + delta >= 1}
   *     simply removes the cap's floor
   * @return {@code keep_g} per block
   */
  static long[] allocate(
      long[] sizes, double[] importance, double sparsity, double maxSparsityDelta) {
    int g = sizes.length;
    if (importance.length != g) {
      throw new IllegalArgumentException(g + " sizes but " + importance.length + " importances");
    }
    long total = 0;
    for (long n : sizes) {
      if (n < 1) {
        throw new IllegalArgumentException("a block holds no weights");
      }
      total += n;
    }
    long budget = (long) Math.floor(total * (1 - sparsity));
    double[] weight = usableImportance(sizes, importance);

    // Floors that honour the cap: no block may be sparser than s_max.
    double maxSparsity = Math.min(1.0, sparsity + maxSparsityDelta);
    long[] floor = new long[g];
    long[] keep = new long[g];
    for (int i = 0; i < g; i++) {
      floor[i] = Math.max(0, Math.min(sizes[i], (long) Math.ceil(sizes[i] * (1 - maxSparsity))));
      keep[i] = floor[i];
    }

    distributeRemainder(keep, sizes, weight, budget);
    takeBackExcess(keep, floor, weight, budget);
    return keep;
  }

  /**
   * The paper's loop: while the budget is not spent, give every block that is not full
   * {@code ceil(S_g / ΣS × R)} more weights, clamp at its size, and drop full blocks from
   * {@code ΣS}. Every round either spends at least {@code R} or fills a block, so it ends
   * after at most {@code g + 1} rounds.
   */
  private static void distributeRemainder(long[] keep, long[] sizes, double[] weight, long budget) {
    int g = keep.length;
    long kept = sum(keep);
    while (kept < budget) {
      long remainder = budget - kept;
      double open = 0;
      for (int i = 0; i < g; i++) {
        if (keep[i] < sizes[i]) {
          open += weight[i];
        }
      }
      // Only zero-importance blocks are left open: follow their remaining room instead, or
      // the loop would stall with budget unspent.
      boolean bySize = open == 0;
      if (bySize) {
        for (int i = 0; i < g; i++) {
          open += sizes[i] - keep[i];
        }
      }
      for (int i = 0; i < g; i++) {
        if (keep[i] < sizes[i]) {
          double share = bySize ? sizes[i] - keep[i] : weight[i];
          long add = (long) Math.ceil(share / open * remainder);
          keep[i] = Math.min(sizes[i], keep[i] + add);
        }
      }
      kept = sum(keep);
    }
  }

  /**
   * Rounding up in {@link #distributeRemainder} overshoots by up to one weight per block; the
   * public code adds the overshoot again (a sign error), here it is taken back. One weight per
   * block per pass, least important block first (ties by block order), never below a block's
   * floor while any block is above its floor, so the result is deterministic and spread thin.
   * Only when the floors alone exceed the budget (tiny blocks) do floors give way, so that the
   * budget is still met exactly; a block is emptied only when the budget is below the number
   * of blocks.
   */
  private static void takeBackExcess(long[] keep, long[] floor, double[] weight, long budget) {
    long excess = sum(keep) - budget;
    if (excess <= 0) {
      return;
    }
    Integer[] order = IntStream.range(0, keep.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> weight[i]).thenComparingInt(i -> i));
    excess = takeBack(keep, floor, order, excess);
    long[] one = new long[keep.length];
    Arrays.fill(one, 1);
    excess = takeBack(keep, one, order, excess); // floors give way, but keep a weight each
    excess = takeBack(keep, new long[keep.length], order, excess); // budget below block count
    if (excess > 0) {
      throw new IllegalStateException("cannot take back " + excess + " weights"); // unreachable
    }
  }

  /** Removes up to {@code excess} weights, one per block per pass, none below {@code limit}. */
  private static long takeBack(long[] keep, long[] limit, Integer[] order, long excess) {
    boolean progress = true;
    while (excess > 0 && progress) {
      progress = false;
      for (int i : order) {
        if (excess == 0) {
          break;
        }
        if (keep[i] > limit[i]) {
          keep[i]--;
          excess--;
          progress = true;
        }
      }
    }
    return excess;
  }

  private static double[] usableImportance(long[] sizes, double[] importance) {
    double total = 0;
    boolean usable = true;
    for (double s : importance) {
      usable &= Double.isFinite(s) && s >= 0;
      total += s;
    }
    if (usable && total > 0) {
      return importance.clone();
    }
    double[] bySize = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      bySize[i] = sizes[i];
    }
    return bySize;
  }

  private static long sum(long[] values) {
    long s = 0;
    for (long v : values) {
      s += v;
    }
    return s;
  }
}
