package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/** Conversions between Shears' host tensors and ONNX Runtime tensors. */
final class OrtTensors {
  private OrtTensors() {}

  /**
   * A calibration input as an ONNX Runtime tensor, converting float data for a graph input the
   * model declares as float16 or bfloat16 ({@code halfInputs}, by input name): calibration
   * data and images come as float whatever the model computes in.
   */
  static OnnxTensor of(OrtEnvironment env, HostTensor t, java.util.Map<String, dev.shears.core.onnx.DataType> halfInputs)
      throws OrtException {
    dev.shears.core.onnx.DataType half = halfInputs.get(t.name());
    if (t.type() == HostTensor.ElementType.FLOAT && half != null) {
      FloatBuffer f = (FloatBuffer) t.data().duplicate();
      float[] values = new float[f.remaining()];
      f.get(values);
      java.nio.ByteBuffer encoded = dev.shears.core.onnx.TensorValues.encodeBuffer(half, values);
      java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(encoded.remaining())
          .order(java.nio.ByteOrder.nativeOrder());
      direct.put(encoded.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN)).flip();
      return OnnxTensor.createTensor(env, direct, t.shape(),
          half == dev.shears.core.onnx.DataType.FLOAT16 ? ai.onnxruntime.OnnxJavaType.FLOAT16
              : ai.onnxruntime.OnnxJavaType.BFLOAT16);
    }
    if (t.type() == HostTensor.ElementType.FLOAT) {
      return OnnxTensor.createTensor(env, (FloatBuffer) t.data().duplicate(), t.shape());
    }
    return OnnxTensor.createTensor(env, (LongBuffer) t.data().duplicate(), t.shape());
  }

  /** The graph inputs declared float16 or bfloat16, by name. */
  static java.util.Map<String, dev.shears.core.onnx.DataType> halfInputs(
      dev.shears.core.onnx.proto.Onnx.GraphProto graph) {
    java.util.Map<String, dev.shears.core.onnx.DataType> out = new java.util.HashMap<>();
    for (var v : graph.getInputList()) {
      dev.shears.core.onnx.DataType type =
          dev.shears.core.onnx.DataType.ofCode(v.getType().getTensorType().getElemType());
      if (type == dev.shears.core.onnx.DataType.FLOAT16 || type == dev.shears.core.onnx.DataType.BFLOAT16) {
        out.put(v.getName(), type);
      }
    }
    return out;
  }

  /** The tensor's values as floats (float tensors only). */
  static float[] floats(OnnxTensor t) {
    FloatBuffer b = t.getFloatBuffer();
    if (b == null) {
      throw new IllegalStateException("not a float tensor: " + t.getInfo());
    }
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  static long[] longs(OnnxTensor t) {
    LongBuffer b = t.getLongBuffer();
    if (b == null) {
      throw new IllegalStateException("not an int64 tensor: " + t.getInfo());
    }
    long[] out = new long[b.remaining()];
    b.get(out);
    return out;
  }

  /** A tensor rebuilt from bytes saved with {@link TensorSpill}. */
  static OnnxTensor fromBytes(OrtEnvironment env, ByteBuffer direct, long[] shape, OnnxJavaType type)
      throws OrtException {
    return OnnxTensor.createTensor(env, direct.order(ByteOrder.nativeOrder()), shape, type);
  }

  /**
   * A graph input declaration for a value cached from an earlier pass: its element type, and
   * unknown dimensions, since the last batch may be smaller.
   */
  static dev.shears.core.onnx.proto.Onnx.ValueInfoProto cachedInput(String name, OnnxJavaType type, int rank) {
    var shape = dev.shears.core.onnx.proto.Onnx.TensorShapeProto.newBuilder();
    for (int i = 0; i < rank; i++) {
      // unknown, not named: a shared name would tell ONNX Runtime that two cached values (a
      // vision and a text hidden state) have equal sizes, and it would plan buffers on that
      shape.addDim(dev.shears.core.onnx.proto.Onnx.TensorShapeProto.Dimension.newBuilder());
    }
    return dev.shears.core.onnx.proto.Onnx.ValueInfoProto.newBuilder().setName(name)
        .setType(dev.shears.core.onnx.proto.Onnx.TypeProto.newBuilder().setTensorType(
            dev.shears.core.onnx.proto.Onnx.TypeProto.Tensor.newBuilder()
                .setElemType(onnxElementType(type)).setShape(shape)))
        .build();
  }

  /** The ONNX element type code of a tensor ONNX Runtime produced. */
  static int onnxElementType(TensorInfo info) {
    return onnxElementType(info.type);
  }

  /** The ONNX element type code of a Java-side element type. */
  static int onnxElementType(OnnxJavaType type) {
    return switch (type) {
      case FLOAT -> 1;
      case UINT8 -> 2;
      case INT8 -> 3;
      case INT16 -> 5;
      case INT32 -> 6;
      case INT64 -> 7;
      case STRING -> 8;
      case BOOL -> 9;
      case FLOAT16 -> 10;
      case DOUBLE -> 11;
      case BFLOAT16 -> 16;
      default -> throw new IllegalStateException("unsupported activation type " + type);
    };
  }
}
