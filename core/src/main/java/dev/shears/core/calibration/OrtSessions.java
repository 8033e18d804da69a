package dev.shears.core.calibration;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;

/**
 * ONNX Runtime set-up shared by every session Shears opens: the process-wide environment, and
 * session options with errors-only logging, a thread count and the device's execution provider.
 */
public final class OrtSessions {
  private OrtSessions() {}

  /** The process-wide environment, logging errors only. */
  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "shears");
  }

  /**
   * New session options for {@code device} with {@code threads} intra-op threads; the caller
   * owns (and closes) them and may set more.
   *
   * @throws OrtException when the device's provider cannot be added
   */
  public static OrtSession.SessionOptions options(Device device, int threads) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setIntraOpNumThreads(threads);
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
      if (device.cuda()) {
        options.addCUDA(device.id());
      }
      return options;
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }
}
