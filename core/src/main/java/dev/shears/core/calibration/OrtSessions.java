package dev.shears.core.calibration;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;

/** The process-wide ONNX Runtime environment, logging errors only. */
public final class OrtSessions {
  private OrtSessions() {}

  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "shears");
  }
}
