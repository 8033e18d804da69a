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
     * The {@code group} parameter every score-based scorer shares, so that all spell, default
     * and parse it alike: {@code per-row} (the reference behaviour of Wanda and SparseGPT) or
     * {@code per-tensor}.
     */
    public static final ParamSpec PARAM = ParamSpec.ofChoice("group", "per-row",
        "which weights compete: each output row alone, or the whole tensor", "per-row", "per-tensor");

    /**
     * The group a scorer's parameters ask for.
     *
     * @param params parameters declared with {@link #PARAM}
     * @return the group
     */
    public static Group from(Params params) {
      return parse(params.getChoice(PARAM.name()));
    }

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
    return byRowChunks(rows, columns, (keys, words, r) -> {
      int base = r * columns;
      if (perRow <= 0) {
        return;
      }
      for (int i = 0; i < columns; i++) {
        keys[i] = key(scores[base + i], i);
      }
      selectSmallest(keys, columns, perRow);
      for (int i = 0; i < perRow; i++) {
        int bit = base + (int) keys[i];
        words[bit >>> 6] |= 1L << bit;
      }
    });
  }

  private static BitSet selectNofM(float[] scores, int rows, int columns, int n, int m) {
    int drop = m - n;
    return byRowChunks(rows, columns, (keys, words, r) -> {
      int base = r * columns;
      for (int start = 0; start + m <= columns; start += m) {
        for (int i = 0; i < m; i++) {
          keys[i] = key(scores[base + start + i], i);
        }
        if (m <= 8) {
          // small runs: a weight goes when fewer than m - n keys of its run are below its own
          for (int i = 0; i < m; i++) {
            long ki = keys[i];
            int below = 0;
            for (int j = 0; j < m; j++) {
              below += keys[j] < ki ? 1 : 0;
            }
            if (below < drop) {
              int bit = base + start + i;
              words[bit >>> 6] |= 1L << bit;
            }
          }
          continue;
        }
        selectSmallest(keys, m, drop);
        for (int i = 0; i < drop; i++) {
          int bit = base + start + (int) keys[i];
          words[bit >>> 6] |= 1L << bit;
        }
      }
    });
  }

  /** Fills the pruned bits of one row. */
  private interface RowSelection {
    void select(long[] keys, long[] words, int row);
  }

  /**
   * Runs {@code selection} on every row, in parallel over chunks of 64 rows: a chunk's bits
   * start at {@code 64 × chunk × columns}, a multiple of 64, so chunks write disjoint words of
   * one shared bit array and no merge is needed.
   */
  private static BitSet byRowChunks(int rows, int columns, RowSelection selection) {
    long[] words = new long[(int) (((long) rows * columns + 63) >>> 6)];
    int chunks = (rows + 63) / 64;
    IntStream.range(0, chunks)
        .parallel()
        .forEach(c -> {
          long[] keys = new long[columns];
          int end = Math.min(rows, (c + 1) * 64);
          for (int r = c * 64; r < end; r++) {
            selection.select(keys, words, r);
          }
        });
    return BitSet.valueOf(words);
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
    selectSmallest(keys, length, k);
    for (int i = 0; i < k; i++) {
      out.set((int) keys[i]);
    }
    return out;
  }

  /**
   * Reorders {@code a[0, length)} so that its {@code k} smallest values come first (in no
   * particular order). Keys are distinct (the index is part of each key), so "the k smallest"
   * is one exact set. Quickselect with a median-of-three pivot, falling back to a sort of the
   * remaining range when partitioning stops shrinking it quickly; tiny ranges are
   * insertion-sorted.
   */
  static void selectSmallest(long[] a, int length, int k) {
    if (k <= 0 || k >= length) {
      return;
    }
    int lo = 0;
    int hi = length - 1;
    int budget = 2 * (32 - Integer.numberOfLeadingZeros(length)) + 4;
    while (hi > lo) {
      if (hi - lo < 16) {
        insertionSort(a, lo, hi);
        return;
      }
      if (budget-- == 0) {
        Arrays.sort(a, lo, hi + 1);
        return;
      }
      int mid = (lo + hi) >>> 1;
      long pivot = median(a[lo], a[mid], a[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] < pivot) {
          i++;
        }
        while (a[j] > pivot) {
          j--;
        }
        if (i <= j) {
          long t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      // now a[lo..j] <= pivot <= a[i..hi], and j < i
      if (k - 1 <= j) {
        hi = j;
      } else if (k - 1 >= i) {
        lo = i;
      } else {
        return;
      }
    }
  }

  private static void insertionSort(long[] a, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
      long v = a[i];
      int j = i - 1;
      while (j >= lo && a[j] > v) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = v;
    }
  }

  private static long median(long a, long b, long c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
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
