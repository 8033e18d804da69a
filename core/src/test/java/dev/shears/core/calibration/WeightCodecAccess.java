package dev.shears.core.calibration;

import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorValues;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;

/** Reads a tensor's view from an in-memory (not yet written) model. */
final class WeightCodecAccess {
  private WeightCodecAccess() {}

  static float[] view(ModelProto pruned, ModelFile source, PrunableTensor t) {
    TensorProto proto = pruned.getGraph().getInitializer(t.initializer());
    float[] stored = TensorValues.decodeFloats(source.path(), proto, source.rawBytes(proto));
    if (t.layout() == WeightLayout.OUT_IN) {
      return stored;
    }
    float[] out = new float[stored.length];
    for (int c = 0; c < t.columns(); c++) {
      for (int r = 0; r < t.rows(); r++) {
        out[r * t.columns() + c] = stored[c * t.rows() + r];
      }
    }
    return out;
  }
}
