package dev.shears.core.calibration;

import dev.shears.core.onnx.proto.Onnx.GraphProto;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Text positions that are padding in every row of a batch, at its end: cut before a pass when
 * the model's sequence axis allows it, so a text padded to a fixed length costs only its real
 * length. Shared by the statistics passes, the loss measurements, the held-out loss and the
 * bench's floor.
 */
public final class TrailingPadding {
  private TrailingPadding() {}

  /**
   * Whether the model's {@code attention_mask} input has a sequence axis of no fixed size, so
   * that {@link #cut} may shorten it (a model exported with a fixed length refuses
   * anything else).
   */
  public static boolean cuttable(GraphProto graph) {
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
  public static Map<String, HostTensor> cut(Map<String, HostTensor> batch) {
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

}
