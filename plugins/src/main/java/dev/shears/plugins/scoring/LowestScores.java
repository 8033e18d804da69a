package dev.shears.plugins.scoring;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The {@code k} lowest of a few double scores, ties to the lower index: the same rule as
 * {@link dev.shears.api.MaskSelection}, kept in double because SparseGPT's {@code w²/d²}
 * would gain spurious ties if rounded to float.
 */
final class LowestScores {
  private LowestScores() {}

  /**
   * Marks the {@code k} lowest of {@code scores}.
   *
   * @param scores the scores; indices are positions in this array
   * @param k how many to mark, at most {@code scores.length}
   * @return true at the marked positions
   */
  static boolean[] mark(double[] scores, int k) {
    boolean[] marked = new boolean[scores.length];
    if (k <= 0) {
      return marked;
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> scores[i]).thenComparingInt(i -> i));
    for (int i = 0; i < k; i++) {
      marked[order[i]] = true;
    }
    return marked;
  }
}
