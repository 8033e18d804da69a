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

  /**
   * Whether the model's {@code attention_mask} input has a sequence axis of no fixed size, so
   * that {@link #trimPadding} may shorten it (a model exported with a fixed length refuses
   * anything else).
   */
  static boolean sequenceIsDynamic(dev.shears.core.onnx.proto.Onnx.GraphProto graph) {
    return graph.getInputList().stream()
        .filter(v -> v.getName().equals("attention_mask"))
        .anyMatch(v -> v.getType().getTensorType().getShape().getDimCount() == 2
            && !v.getType().getTensorType().getShape().getDim(1).hasDimValue());
  }

  /**
   * Drops trailing token positions that are padding in every row of the batch (attention mask
   * 0): they change no output a loss reads — attention masks them out and pooling skips them —
   * but a text padded to a fixed 128 tokens would otherwise cost its full length in every
   * zeroth-order query. Every int64 input of the mask's shape is cut alike.
   */
  static Map<String, HostTensor> trimPadding(Map<String, HostTensor> batch) {
    HostTensor mask = batch.get("attention_mask");
    if (mask == null || mask.type() != HostTensor.ElementType.INT64 || mask.shape().length != 2) {
      return batch;
    }
    int rows = (int) mask.shape()[0];
    int len = (int) mask.shape()[1];
    LongBuffer m = (LongBuffer) mask.data().duplicate();
    int keep = 1;
    for (int r = 0; r < rows; r++) {
      for (int c = len - 1; c >= keep; c--) {
        if (m.get(r * len + c) != 0) {
          keep = c + 1;
          break;
        }
      }
    }
    if (keep == len) {
      return batch;
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : batch.entrySet()) {
      HostTensor t = e.getValue();
      if (t.type() == HostTensor.ElementType.INT64 && java.util.Arrays.equals(t.shape(), mask.shape())) {
        LongBuffer src = (LongBuffer) t.data().duplicate();
        long[] v = new long[rows * keep];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < keep; c++) {
            v[r * keep + c] = src.get(r * len + c);
          }
        }
        out.put(e.getKey(), HostTensor.of(t.name(), new long[] {rows, keep}, v));
      } else {
        out.put(e.getKey(), t);
      }
    }
    return out;
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
