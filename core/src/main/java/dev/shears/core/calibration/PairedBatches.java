package dev.shears.core.calibration;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batch surgery for pair losses: taking the first rows of a batch, and appending a copy in
 * which the texts (integer inputs: ids, masks, token types) are shuffled within the batch so
 * that no text stays with its own image.
 */
final class PairedBatches {
  private PairedBatches() {}

  static Map<String, HostTensor> firstRows(Map<String, HostTensor> batch, int rows) {
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : batch.entrySet()) {
      out.put(e.getKey(), gatherRows(e.getValue(), order));
    }
    return out;
  }

  /** A tensor made of the given rows (axis 0) of {@code t}, in that order; rows may repeat. */
  private static HostTensor gatherRows(HostTensor t, int[] rows) {
    long[] shape = t.shape().clone();
    int per = (int) (t.data().remaining() / shape[0]);
    shape[0] = rows.length;
    if (t.type() == HostTensor.ElementType.FLOAT) {
      FloatBuffer src = (FloatBuffer) t.data().duplicate();
      float[] v = new float[rows.length * per];
      for (int i = 0; i < rows.length; i++) {
        src.get(rows[i] * per, v, i * per, per);
      }
      return HostTensor.of(t.name(), shape, v);
    }
    LongBuffer src = (LongBuffer) t.data().duplicate();
    long[] v = new long[rows.length * per];
    for (int i = 0; i < rows.length; i++) {
      src.get(rows[i] * per, v, i * per, per);
    }
    return HostTensor.of(t.name(), shape, v);
  }

  static Map<String, HostTensor> withMismatched(Map<String, HostTensor> batch, long seed) {
    int n = batch.values().iterator().next().samples();
    // Sattolo's algorithm: a random cyclic permutation has no fixed point (for n > 1)
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i);
      int tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    // images twice; texts as they are, then shuffled
    int[] same = new int[2 * n];
    int[] shuffled = new int[2 * n];
    for (int i = 0; i < n; i++) {
      same[i] = i;
      same[n + i] = i;
      shuffled[i] = i;
      shuffled[n + i] = perm[i];
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : batch.entrySet()) {
      boolean text = e.getValue().type() == HostTensor.ElementType.INT64;
      out.put(e.getKey(), gatherRows(e.getValue(), text ? shuffled : same));
    }
    return out;
  }
}
