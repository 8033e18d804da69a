package dev.shears.core.pruning;

import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorValues;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Converts a prunable tensor between its stored form (layout and element type of the file)
 * and the row-major output × input float view strategies work on.
 */
public final class WeightCodec {
  private WeightCodec() {}

  /** The tensor's weights as a row-major {@code rows × columns} array. */
  public static float[] readView(ModelFile model, PrunableTensor t) {
    TensorProto proto = model.proto().getGraph().getInitializer(t.initializer());
    if (t.layout() == WeightLayout.IN_OUT && t.dataType() == DataType.FLOAT) {
      float[] view = model.withRawBytes(proto, raw -> {
        if (raw == null) {
          return null;
        }
        // decoded straight into the view: one array per tensor, not a stored copy and a view
        FloatBuffer stored = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        int rows = t.rows();
        int columns = t.columns();
        checkSize(stored.remaining(), rows, columns);
        float[] out = new float[rows * columns];
        tiles(columns, rows, (i0, i1, j0, j1) -> {
          for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
              out[j * columns + i] = stored.get(i * rows + j);
            }
          }
        });
        return out;
      });
      if (view != null) {
        return view;
      }
    }
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
  public static ByteBuffer storedBytes(PrunableTensor t, float[] view) {
    if (t.layout() == WeightLayout.IN_OUT && t.dataType() == DataType.FLOAT) {
      // encoded straight from the view into the stored layout, without a transposed copy
      ByteBuffer bytes = ByteBuffer.allocate(view.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      FloatBuffer stored = bytes.asFloatBuffer();
      int rows = t.rows();
      int columns = t.columns();
      checkSize(view.length, rows, columns);
      tiles(rows, columns, (i0, i1, j0, j1) -> {
        for (int r = i0; r < i1; r++) {
          for (int c = j0; c < j1; c++) {
            stored.put(c * rows + r, view[r * columns + c]);
          }
        }
      });
      return bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
    float[] stored = t.layout() == WeightLayout.OUT_IN ? view : transpose(view, t.rows(), t.columns());
    return TensorValues.encodeBuffer(t.dataType(), stored);
  }

  /** One tile of a matrix: rows {@code [i0, i1)}, columns {@code [j0, j1)}. */
  private interface Tile {
    void visit(int i0, int i1, int j0, int j1);
  }

  /**
   * Walks an {@code r × c} matrix in 32 × 32 tiles, so that a transposing copy reads and writes
   * cache lines it has just loaded; the callback runs once per tile, not once per element.
   */
  private static void tiles(int r, int c, Tile tile) {
    final int side = 32;
    for (int i0 = 0; i0 < r; i0 += side) {
      for (int j0 = 0; j0 < c; j0 += side) {
        tile.visit(i0, Math.min(r, i0 + side), j0, Math.min(c, j0 + side));
      }
    }
  }

  private static void checkSize(long size, int r, int c) {
    if (size != (long) r * c) {
      throw new IllegalArgumentException(size + " values for a " + r + "x" + c + " matrix");
    }
  }

  /** Transposes a row-major {@code r × c} matrix. */
  static float[] transpose(float[] a, int r, int c) {
    checkSize(a.length, r, c);
    float[] out = new float[a.length];
    tiles(r, c, (i0, i1, j0, j1) -> {
      for (int i = i0; i < i1; i++) {
        for (int j = j0; j < j1; j++) {
          out[j * r + i] = a[i * c + j];
        }
      }
    });
    return out;
  }
}
