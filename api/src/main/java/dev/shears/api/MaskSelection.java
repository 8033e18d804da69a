package dev.shears.api;

import java.util.Arrays;
import java.util.BitSet;
import java.util.stream.IntStream;

/**
 * Picks the weights to prune from per-weight scores: the lowest scores go, ties broken by
 * the lower index. Shared by all score-based scorers so that they agree on counts and ties.
 */
public final class MaskSelection {

  /** Which weights compete with each other. */
  public enum Group {
    /** Each output row loses {@code floor(columns × sparsity)} weights. */
    PER_ROW,
    /** The whole tensor loses {@code floor(rows × columns × sparsity)} weights. */
    PER_TENSOR;

    /**
     * Parses {@code per-row} or {@code per-tensor}.
     *
     * @param text the parameter value
     * @return the group
     */
    public static Group parse(String text) {
      return switch (text) {
        case "per-row" -> PER_ROW;
        case "per-tensor" -> PER_TENSOR;
        default -> throw new InvalidConfigurationException(
            "group must be per-row or per-tensor, got '" + text + "'");
      };
    }
  }

  private MaskSelection() {}

  /**
   * The weights to prune.
   *
   * @param scores one score per weight, row-major {@code rows × columns}; higher is kept
   * @param rows output channels
   * @param columns input features
   * @param target the sparsity and pattern; an N:M pattern ignores {@code group} and keeps
   *     the {@code n} highest scores of every run of {@code m} consecutive columns (a
   *     trailing run shorter than {@code m} is left dense)
   * @param group which weights compete
   * @return the pruned positions, by row-major index
   */
  public static BitSet select(
      float[] scores, int rows, int columns, LayerTarget target, Group group) {
    if ((long) rows * columns != scores.length) {
      throw new IllegalArgumentException(
          scores.length + " scores for a " + rows + "x" + columns + " layer");
    }
    SparsityPattern pattern = target.pattern();
    if (!pattern.isUnstructured()) {
      return selectNofM(scores, rows, columns, pattern.n(), pattern.m());
    }
    if (group == Group.PER_TENSOR) {
      long k = (long) Math.floor((double) scores.length * target.sparsity());
      return lowest(scores, 0, scores.length, (int) k);
    }
    int perRow = (int) Math.floor(columns * target.sparsity());
    BitSet[] parts = new BitSet[rows];
    IntStream.range(0, rows)
        .parallel()
        .forEach(r -> parts[r] = lowest(scores, r * columns, columns, perRow));
    BitSet pruned = new BitSet(scores.length);
    for (int r = 0; r < rows; r++) {
      int base = r * columns;
      for (int i = parts[r].nextSetBit(0); i >= 0; i = parts[r].nextSetBit(i + 1)) {
        pruned.set(base + i);
      }
    }
    return pruned;
  }

  private static BitSet selectNofM(float[] scores, int rows, int columns, int n, int m) {
    BitSet pruned = new BitSet(scores.length);
    int drop = m - n;
    long[] keys = new long[m];
    for (int r = 0; r < rows; r++) {
      int base = r * columns;
      for (int start = 0; start + m <= columns; start += m) {
        for (int i = 0; i < m; i++) {
          keys[i] = key(scores[base + start + i], i);
        }
        Arrays.sort(keys);
        for (int i = 0; i < drop; i++) {
          pruned.set(base + start + (int) keys[i]);
        }
      }
    }
    return pruned;
  }

  /** The {@code k} lowest of {@code scores[from, from + length)}, as offsets from {@code from}. */
  private static BitSet lowest(float[] scores, int from, int length, int k) {
    BitSet out = new BitSet(length);
    if (k <= 0) {
      return out;
    }
    long[] keys = new long[length];
    for (int i = 0; i < length; i++) {
      keys[i] = key(scores[from + i], i);
    }
    Arrays.sort(keys);
    for (int i = 0; i < k; i++) {
      out.set((int) keys[i]);
    }
    return out;
  }

  /**
   * Packs a score and an index into one long whose natural order is (score, index): the
   * float's bits are mapped to an int with the same order, then the index fills the low half.
   */
  private static long key(float score, int index) {
    int bits = Float.floatToIntBits(score == 0.0f ? 0.0f : score); // -0 ties with +0
    bits ^= (bits >> 31) & 0x7fffffff;
    return ((long) bits << 32) | index;
  }
}
