package dev.shears.core.pruning;

import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorValues;
import dev.shears.core.onnx.proto.Onnx.TensorProto;

/**
 * Converts a prunable tensor between its stored form (layout and element type of the file)
 * and the row-major output × input float view strategies work on.
 */
public final class WeightCodec {
  private WeightCodec() {}

  /** The tensor's weights as a row-major {@code rows × columns} array. */
  public static float[] readView(ModelFile model, PrunableTensor t) {
    TensorProto proto = model.proto().getGraph().getInitializer(t.initializer());
    float[] stored = model.readFloats(proto);
    if (t.layout() == WeightLayout.OUT_IN) {
      return stored;
    }
    return transpose(stored, t.columns(), t.rows());
  }

  /** The original tensor with new values given in the view, stored as the original was. */
  public static TensorProto writeView(ModelFile model, PrunableTensor t, float[] view) {
    TensorProto proto = model.proto().getGraph().getInitializer(t.initializer());
    float[] stored = t.layout() == WeightLayout.OUT_IN ? view : transpose(view, t.rows(), t.columns());
    return TensorValues.withValues(proto, stored);
  }

  /** New values given in the view, as the bytes the tensor stores (its layout and element type). */
  public static java.nio.ByteBuffer storedBytes(PrunableTensor t, float[] view) {
    float[] stored = t.layout() == WeightLayout.OUT_IN ? view : transpose(view, t.rows(), t.columns());
    return TensorValues.encodeBuffer(t.dataType(), stored);
  }

  /** Transposes a row-major {@code r × c} matrix, in cache-friendly tiles. */
  static float[] transpose(float[] a, int r, int c) {
    float[] out = new float[a.length];
    final int tile = 32;
    for (int i0 = 0; i0 < r; i0 += tile) {
      int i1 = Math.min(r, i0 + tile);
      for (int j0 = 0; j0 < c; j0 += tile) {
        int j1 = Math.min(c, j0 + tile);
        for (int i = i0; i < i1; i++) {
          for (int j = j0; j < j1; j++) {
            out[j * r + i] = a[i * c + j];
          }
        }
      }
    }
    return out;
  }
}
