package dev.shears.core;

/**
 * A failure Shears reports to the user on one line: a bad input file, a model it cannot
 * handle, an I/O error. The message names the file or flag and says what is wrong.
 */
public class ShearsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ShearsException(String message) {
    super(message);
  }

  public ShearsException(String message, Throwable cause) {
    super(message, cause);
  }
}
