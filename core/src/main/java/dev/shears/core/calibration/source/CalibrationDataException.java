package dev.shears.core.calibration.source;

/**
 * Calibration data that cannot be used: a malformed file, a tensor that does not fit the model, a
 * missing input. The message is one line that names the file (and line or input) and the problem,
 * so the CLI can print it as is.
 */
public class CalibrationDataException extends dev.shears.core.ShearsException {
  private static final long serialVersionUID = 1L;

  public CalibrationDataException(String message) {
    super(message);
  }

  public CalibrationDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
