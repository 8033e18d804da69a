package dev.shears.core.calibration;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.shears.core.ShearsException;
import dev.shears.core.onnx.proto.Onnx.ModelProto;

/** Creates ONNX Runtime sessions for graph variants Shears builds. */
public final class OrtSessions {
  private OrtSessions() {}

  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "shears");
  }

  /**
   * A session over an in-memory model. Graph optimizations are off: statistics must be taken
   * on the graph as written, not on fused kernels whose intermediate values differ.
   */
  public static OrtSession open(OrtEnvironment env, ModelProto model, Device device, boolean optimize) {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(optimize ? OrtSession.SessionOptions.OptLevel.ALL_OPT
          : OrtSession.SessionOptions.OptLevel.NO_OPT);
      o.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
      o.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      if (device.cuda()) {
        o.addCUDA(device.id());
      }
      return env.createSession(model.toByteArray(), o);
    } catch (OrtException e) {
      throw new ShearsException("ONNX Runtime cannot load the model: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
  }
}
