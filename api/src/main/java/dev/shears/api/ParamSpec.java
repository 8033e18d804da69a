package dev.shears.api;

import java.util.List;
import java.util.Objects;

/**
 * One parameter a strategy accepts.
 *
 * @param name the key, without the {@code scorer.}/{@code allocator.}/{@code loss.} prefix
 * @param type the value type
 * @param defaultValue the default, as text
 * @param description one line for {@code shears plugins}
 * @param choices the allowed values when {@code type} is {@link Type#CHOICE}, else empty
 */
public record ParamSpec(
    String name, Type type, String defaultValue, String description, List<String> choices) {

  /** Value types of parameters. */
  public enum Type {
    /** A 32-bit integer. */
    INT,
    /** A double-precision number. */
    DOUBLE,
    /** {@code true} or {@code false}. */
    BOOLEAN,
    /** Free text. */
    STRING,
    /** One of a fixed list of words. */
    CHOICE
  }

  /**
   * Checks the fields.
   *
   * @param name the key
   * @param type the value type
   * @param defaultValue the default, as text
   * @param description one line
   * @param choices the allowed values for {@link Type#CHOICE}
   */
  public ParamSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(defaultValue, "defaultValue");
    Objects.requireNonNull(description, "description");
    choices = List.copyOf(choices);
    if ((type == Type.CHOICE) == choices.isEmpty()) {
      throw new IllegalArgumentException("choices are given exactly for CHOICE parameters: " + name);
    }
    if (type == Type.CHOICE && !choices.contains(defaultValue)) {
      throw new IllegalArgumentException(
          "default '" + defaultValue + "' of " + name + " is not one of " + choices);
    }
  }

  /**
   * An integer parameter.
   *
   * @param name the key
   * @param defaultValue the default
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofInt(String name, int defaultValue, String description) {
    return new ParamSpec(name, Type.INT, Integer.toString(defaultValue), description, List.of());
  }

  /**
   * A floating-point parameter.
   *
   * @param name the key
   * @param defaultValue the default
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofDouble(String name, double defaultValue, String description) {
    return new ParamSpec(name, Type.DOUBLE, Double.toString(defaultValue), description, List.of());
  }

  /**
   * A boolean parameter.
   *
   * @param name the key
   * @param defaultValue the default
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofBoolean(String name, boolean defaultValue, String description) {
    return new ParamSpec(
        name, Type.BOOLEAN, Boolean.toString(defaultValue), description, List.of());
  }

  /**
   * A free-text parameter.
   *
   * @param name the key
   * @param defaultValue the default
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofString(String name, String defaultValue, String description) {
    return new ParamSpec(name, Type.STRING, defaultValue, description, List.of());
  }

  /**
   * A parameter restricted to a list of words.
   *
   * @param name the key
   * @param defaultValue the default, one of {@code choices}
   * @param description one line
   * @param choices the allowed values
   * @return the specification
   */
  public static ParamSpec ofChoice(
      String name, String defaultValue, String description, String... choices) {
    return new ParamSpec(name, Type.CHOICE, defaultValue, description, List.of(choices));
  }
}
