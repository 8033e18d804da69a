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
 * @param min the smallest allowed value of an {@code INT}, {@code LONG} or {@code DOUBLE}
 *     parameter, inclusive, as text; {@code null} for no lower bound
 * @param max the largest allowed value, inclusive, as text; {@code null} for no upper bound
 */
public record ParamSpec(
    String name, Type type, String defaultValue, String description, List<String> choices,
    String min, String max) {

  /** Value types of parameters. */
  public enum Type {
    /** A 32-bit integer. */
    INT,
    /** A 64-bit integer. */
    LONG,
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
   * @param min the lower bound of a numeric parameter, or {@code null}
   * @param max the upper bound of a numeric parameter, or {@code null}
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
    if (min != null || max != null) {
      if (type != Type.INT && type != Type.LONG && type != Type.DOUBLE) {
        throw new IllegalArgumentException("only numeric parameters have a range: " + name);
      }
      try {
        if (min != null && max != null && Double.parseDouble(min) > Double.parseDouble(max)) {
          throw new IllegalArgumentException("empty range [" + min + ", " + max + "] of " + name);
        }
        if (type != Type.DOUBLE) {
          if (min != null) {
            Long.parseLong(min);
          }
          if (max != null) {
            Long.parseLong(max);
          }
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bounds of " + name + " are not numbers: " + min + ", " + max);
      }
    }
  }

  /**
   * A parameter without range.
   *
   * @param name the key
   * @param type the value type
   * @param defaultValue the default, as text
   * @param description one line
   * @param choices the allowed values for {@link Type#CHOICE}
   */
  public ParamSpec(
      String name, Type type, String defaultValue, String description, List<String> choices) {
    this(name, type, defaultValue, description, choices, null, null);
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
   * An integer parameter restricted to {@code [min, max]}.
   *
   * @param name the key
   * @param defaultValue the default, within the range
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofInt(String name, int defaultValue, int min, int max, String description) {
    return new ParamSpec(name, Type.INT, Integer.toString(defaultValue), description, List.of(),
        Integer.toString(min), Integer.toString(max));
  }

  /**
   * A 64-bit integer parameter (a seed, a count of tokens).
   *
   * @param name the key
   * @param defaultValue the default
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofLong(String name, long defaultValue, String description) {
    return new ParamSpec(name, Type.LONG, Long.toString(defaultValue), description, List.of());
  }

  /**
   * A 64-bit integer parameter restricted to {@code [min, max]}.
   *
   * @param name the key
   * @param defaultValue the default, within the range
   * @param min the smallest allowed value
   * @param max the largest allowed value
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofLong(
      String name, long defaultValue, long min, long max, String description) {
    return new ParamSpec(name, Type.LONG, Long.toString(defaultValue), description, List.of(),
        Long.toString(min), Long.toString(max));
  }

  /**
   * A floating-point parameter restricted to {@code [min, max]}; an infinite bound means
   * none on that side.
   *
   * @param name the key
   * @param defaultValue the default, within the range
   * @param min the smallest allowed value, or {@link Double#NEGATIVE_INFINITY}
   * @param max the largest allowed value, or {@link Double#POSITIVE_INFINITY}
   * @param description one line
   * @return the specification
   */
  public static ParamSpec ofDouble(
      String name, double defaultValue, double min, double max, String description) {
    return new ParamSpec(name, Type.DOUBLE, Double.toString(defaultValue), description, List.of(),
        Double.isInfinite(min) ? null : Double.toString(min),
        Double.isInfinite(max) ? null : Double.toString(max));
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
