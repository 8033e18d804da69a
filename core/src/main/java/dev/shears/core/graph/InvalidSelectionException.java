package dev.shears.core.graph;

import dev.shears.api.InvalidConfigurationException;

/** An {@code --include}/{@code --exclude} rule that matches nothing. */
public class InvalidSelectionException extends InvalidConfigurationException {
  private static final long serialVersionUID = 1L;

  public InvalidSelectionException(String message) {
    super(message);
  }
}
