package dev.shears.core.onnx;

import com.google.protobuf.ByteString;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Decoding and encoding the values of float tensors in every storage ONNX allows. */
public final class TensorValues {
  private TensorValues() {}

  /**
   * The values as floats, in stored (row-major) order.
   *
   * @param raw the bytes from {@link ModelFile#rawBytes}, or {@code null} for typed fields
   */
  public static float[] decodeFloats(Path file, TensorProto t, ByteBuffer raw) {
    DataType type = DataType.ofCode(t.getDataType());
    if (type == null || !(type.isPrunableFloat() || type == DataType.DOUBLE)) {
      throw new ModelFormatException(file + ": tensor '" + t.getName() + "' has element type "
          + DataType.nameOf(t.getDataType()) + ", not a float type");
    }
    long count = TensorShapes.elementCount(file, t);
    if (count > Integer.MAX_VALUE - 8) {
      throw new ModelFormatException(file + ": tensor '" + t.getName() + "' has " + count
          + " elements, more than Shears holds in one array");
    }
    int n = (int) count;
    float[] out = new float[n];
    if (raw != null) {
      ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      switch (type) {
        case FLOAT -> b.asFloatBuffer().get(out);
        case DOUBLE -> {
          for (int i = 0; i < n; i++) {
            out[i] = (float) b.getDouble(i * 8);
          }
        }
        case FLOAT16 -> {
          for (int i = 0; i < n; i++) {
            out[i] = HalfFloats.halfToFloat(b.getShort(i * 2));
          }
        }
        case BFLOAT16 -> {
          for (int i = 0; i < n; i++) {
            out[i] = HalfFloats.bfloat16ToFloat(b.getShort(i * 2));
          }
        }
        default -> throw new IllegalStateException(type.name());
      }
      return out;
    }
    int have = switch (type) {
      case FLOAT -> t.getFloatDataCount();
      case DOUBLE -> t.getDoubleDataCount();
      default -> t.getInt32DataCount();
    };
    if (have != n) {
      throw new ModelFormatException(file + ": tensor '" + t.getName() + "' holds " + have
          + " values but its shape needs " + n);
    }
    for (int i = 0; i < n; i++) {
      out[i] = switch (type) {
        case FLOAT -> t.getFloatData(i);
        case DOUBLE -> (float) t.getDoubleData(i);
        case FLOAT16 -> HalfFloats.halfToFloat((short) t.getInt32Data(i));
        case BFLOAT16 -> HalfFloats.bfloat16ToFloat((short) t.getInt32Data(i));
        default -> throw new IllegalStateException(type.name());
      };
    }
    return out;
  }

  /** Encodes floats as little-endian bytes of the given type. */
  public static ByteString encode(DataType type, float[] values) {
    // the buffer is fresh and never written again, so it may back the ByteString unchanged
    return com.google.protobuf.UnsafeByteOperations.unsafeWrap(encodeBuffer(type, values));
  }

  /** Encodes floats as a little-endian, read-only buffer of the given type. */
  public static ByteBuffer encodeBuffer(DataType type, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case FLOAT -> b.asFloatBuffer().put(values);
      case DOUBLE -> {
        for (float v : values) {
          b.putDouble(v);
        }
      }
      case FLOAT16 -> {
        for (float v : values) {
          b.putShort(HalfFloats.floatToHalf(v));
        }
      }
      case BFLOAT16 -> {
        for (float v : values) {
          b.putShort(HalfFloats.floatToBfloat16(v));
        }
      }
      default -> throw new IllegalArgumentException("not a float type: " + type);
    }
    b.rewind();
    return b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The same tensor with new values given as raw little-endian bytes of its own type, stored
   * the way the original stored them (see {@link #withValues}). Raw data is not copied: the
   * returned tensor reads {@code bytes} (typically a mapped region of a {@link TensorStore}),
   * which must stay valid, unchanged and unreleased for as long as the tensor is used. A
   * copy would touch as much fresh memory as the model has pruned weights.
   */
  public static TensorProto withStoredBytes(Path file, TensorProto original, ByteBuffer bytes) {
    boolean typed = !original.hasRawData() && !ExternalData.isExternal(original);
    if (typed) {
      return withValues(original, decodeFloats(file, original, bytes));
    }
    return original.toBuilder().clearExternalData().clearDataLocation()
        .setRawData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(bytes.duplicate())).build();
  }

  /**
   * The same tensor with new values, stored the way the original stored them: typed fields
   * stay typed fields; raw and external data become {@code raw_data} (the writer decides
   * again what goes to external data). Every other field is kept.
   */
  public static TensorProto withValues(TensorProto original, float[] values) {
    DataType type = DataType.ofCode(original.getDataType());
    TensorProto.Builder b = original.toBuilder();
    boolean typed = !original.hasRawData() && !ExternalData.isExternal(original);
    if (typed) {
      switch (type) {
        case FLOAT -> {
          b.clearFloatData();
          for (float v : values) {
            b.addFloatData(v);
          }
        }
        case DOUBLE -> {
          b.clearDoubleData();
          for (float v : values) {
            b.addDoubleData(v);
          }
        }
        case FLOAT16, BFLOAT16 -> {
          b.clearInt32Data();
          for (float v : values) {
            short s = type == DataType.FLOAT16 ? HalfFloats.floatToHalf(v) : HalfFloats.floatToBfloat16(v);
            b.addInt32Data(s & 0xffff);
          }
        }
        default -> throw new IllegalArgumentException("not a float type: " + type);
      }
      return b.build();
    }
    b.clearExternalData().clearDataLocation();
    b.setRawData(encode(type, values));
    return b.build();
  }
}
