package dev.shears.core.onnx;

import dev.shears.core.ShearsException;

/** The file is not a usable ONNX model: not protobuf, truncated, inconsistent. */
public class ModelFormatException extends ShearsException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
