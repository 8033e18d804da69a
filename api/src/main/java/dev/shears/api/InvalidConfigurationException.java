package dev.shears.api;

/**
 * The user asked for something that cannot be run: an unknown strategy name, an unknown
 * parameter, a value of the wrong type. Shears reports the message on one line and exits
 * with the usage-error code (2).
 */
public class InvalidConfigurationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message one line that names the flag or key and what is wrong with it
   */
  public InvalidConfigurationException(String message) {
    super(message);
  }
}
