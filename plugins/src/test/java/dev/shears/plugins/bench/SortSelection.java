package dev.shears.plugins.bench;

import java.util.Arrays;
import java.util.BitSet;
import java.util.stream.IntStream;

/**
 * The per-row and N:M selection of {@code MaskSelection} as it first was (a full sort
 * of every row, rows merged bit by bit), kept as the "before" of {@link MaskSelectionBenchmark}
 * and as a reference the tests compare the current selection to.
 */
public final class SortSelection {
  private SortSelection() {}

  public static BitSet perRow(float[] scores, int rows, int columns, double sparsity) {
    int perRow = (int) Math.floor(columns * sparsity);
    BitSet[] parts = new BitSet[rows];
    IntStream.range(0, rows).parallel().forEach(r -> parts[r] = lowest(scores, r * columns, columns, perRow));
    BitSet pruned = new BitSet(scores.length);
    for (int r = 0; r < rows; r++) {
      int base = r * columns;
      for (int i = parts[r].nextSetBit(0); i >= 0; i = parts[r].nextSetBit(i + 1)) {
        pruned.set(base + i);
      }
    }
    return pruned;
  }

  public static BitSet nOfM(float[] scores, int rows, int columns, int n, int m) {
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

  public static BitSet lowest(float[] scores, int from, int length, int k) {
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

  private static long key(float score, int index) {
    int bits = Float.floatToIntBits(score == 0.0f ? 0.0f : score);
    bits ^= (bits >> 31) & 0x7fffffff;
    return ((long) bits << 32) | index;
  }
}
