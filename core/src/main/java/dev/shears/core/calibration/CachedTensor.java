package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** A value copied out of an ONNX Runtime result, to be fed again later. */
record CachedTensor(ByteBuffer data, long[] shape, OnnxJavaType type) {

  static CachedTensor copyOf(OnnxTensor t) {
    ByteBuffer src = t.getByteBuffer();
    ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
    direct.put(src).flip();
    return new CachedTensor(direct, t.getInfo().getShape(), t.getInfo().type);
  }

  OnnxTensor toOnnx(OrtEnvironment env) throws OrtException {
    return OnnxTensor.createTensor(env, data.duplicate().order(ByteOrder.nativeOrder()), shape, type);
  }

  float[] floats() {
    if (type != OnnxJavaType.FLOAT) {
      throw new IllegalStateException("not a float value: " + type);
    }
    FloatBuffer fb = data.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }
}
