package dev.shears.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The parameters given to one strategy, checked against its {@link ParamSpec}s.
 *
 * <p>Construction rejects keys the strategy does not declare, naming the known ones, and
 * values that do not parse as the declared type; the typed getters then return the user's
 * value or the declared default. Errors are {@link InvalidConfigurationException}s whose
 * message names the key as the user typed it (for example {@code scorer.group}).
 */
public final class Params {
  private final String prefix;
  private final Map<String, ParamSpec> specs;
  private final Map<String, String> values;

  private Params(String prefix, Map<String, ParamSpec> specs, Map<String, String> values) {
    this.prefix = prefix;
    this.specs = specs;
    this.values = values;
  }

  /**
   * Checks {@code given} against {@code specs}.
   *
   * @param prefix how keys are shown in messages, for example {@code "scorer."}; may be empty
   * @param specs the declared parameters
   * @param given the user's values, keyed without the prefix
   * @return the checked parameters
   * @throws InvalidConfigurationException for an unknown key or a value of the wrong type
   */
  public static Params of(String prefix, List<ParamSpec> specs, Map<String, String> given) {
    Map<String, ParamSpec> byName = new LinkedHashMap<>();
    for (ParamSpec spec : specs) {
      byName.put(spec.name(), spec);
    }
    Map<String, String> values = new TreeMap<>();
    for (Map.Entry<String, String> e : given.entrySet()) {
      ParamSpec spec = byName.get(e.getKey());
      if (spec == null) {
        String known =
            byName.isEmpty()
                ? "it takes no parameters"
                : "known: "
                    + byName.keySet().stream().map(k -> prefix + k).collect(Collectors.joining(", "));
        throw new InvalidConfigurationException(
            "unknown parameter '" + prefix + e.getKey() + "' (" + known + ")");
      }
      check(prefix, spec, e.getValue());
      values.put(e.getKey(), e.getValue().trim());
    }
    return new Params(prefix, Collections.unmodifiableMap(byName), values);
  }

  /**
   * Parameters with every value at its default.
   *
   * @param specs the declared parameters
   * @return defaults only
   */
  public static Params defaults(List<ParamSpec> specs) {
    return of("", specs, Map.of());
  }

  private static void check(String prefix, ParamSpec spec, String raw) {
    String value = raw.trim();
    String key = prefix + spec.name();
    try {
      switch (spec.type()) {
        case INT -> {
          long v = Integer.parseInt(value);
          checkRange(key, spec, value, spec.min() != null && v < Long.parseLong(spec.min()),
              spec.max() != null && v > Long.parseLong(spec.max()));
        }
        case LONG -> {
          long v = Long.parseLong(value);
          checkRange(key, spec, value, spec.min() != null && v < Long.parseLong(spec.min()),
              spec.max() != null && v > Long.parseLong(spec.max()));
        }
        case DOUBLE -> {
          double d = Double.parseDouble(value);
          if (!Double.isFinite(d)) {
            throw new NumberFormatException();
          }
          checkRange(key, spec, value, spec.min() != null && d < Double.parseDouble(spec.min()),
              spec.max() != null && d > Double.parseDouble(spec.max()));
        }
        case BOOLEAN -> {
          if (!value.equals("true") && !value.equals("false")) {
            throw new NumberFormatException();
          }
        }
        case CHOICE -> {
          if (!spec.choices().contains(value)) {
            throw new InvalidConfigurationException(
                "parameter '" + key + "' must be one of " + String.join(", ", spec.choices())
                    + ", got '" + value + "'");
          }
        }
        case STRING -> {}
      }
    } catch (NumberFormatException e) {
      throw new InvalidConfigurationException(
          "parameter '" + key + "' expects " + describe(spec.type()) + ", got '" + value + "'");
    }
  }

  /** Fails with one line naming the key and its range when the value is below or above it. */
  private static void checkRange(String key, ParamSpec spec, String value, boolean below, boolean above) {
    if (below || above) {
      throw new InvalidConfigurationException("parameter '" + key + "' must be " + range(spec)
          + ", got '" + value + "'");
    }
  }

  /**
   * A parameter's range in words: {@code in [1, 64]}, {@code at least 0} or {@code at most 1}.
   *
   * @param spec the parameter
   * @return the range, or an empty string when it has none
   */
  public static String range(ParamSpec spec) {
    if (spec.min() != null && spec.max() != null) {
      return "in [" + spec.min() + ", " + spec.max() + "]";
    }
    if (spec.min() != null) {
      return "at least " + spec.min();
    }
    return spec.max() != null ? "at most " + spec.max() : "";
  }

  private static String describe(ParamSpec.Type type) {
    return switch (type) {
      case INT -> "an integer";
      case LONG -> "an integer";
      case DOUBLE -> "a finite number";
      case BOOLEAN -> "true or false";
      case STRING -> "text";
      case CHOICE -> "one of its choices";
    };
  }

  private String raw(String name, ParamSpec.Type type) {
    ParamSpec spec = specs.get(name);
    if (spec == null) {
      throw new IllegalStateException("parameter '" + prefix + name + "' is not declared");
    }
    if (spec.type() != type) {
      throw new IllegalStateException(
          "parameter '" + prefix + name + "' is declared " + spec.type() + ", read as " + type);
    }
    return values.getOrDefault(name, spec.defaultValue());
  }

  /**
   * An integer parameter.
   *
   * @param name the declared key
   * @return the user's value or the default
   */
  public int getInt(String name) {
    return Integer.parseInt(raw(name, ParamSpec.Type.INT));
  }

  /**
   * A 64-bit integer parameter.
   *
   * @param name the declared key
   * @return the user's value or the default
   */
  public long getLong(String name) {
    return Long.parseLong(raw(name, ParamSpec.Type.LONG));
  }

  /**
   * A floating-point parameter.
   *
   * @param name the declared key
   * @return the user's value or the default
   */
  public double getDouble(String name) {
    return Double.parseDouble(raw(name, ParamSpec.Type.DOUBLE));
  }

  /**
   * A boolean parameter.
   *
   * @param name the declared key
   * @return the user's value or the default
   */
  public boolean getBoolean(String name) {
    return Boolean.parseBoolean(raw(name, ParamSpec.Type.BOOLEAN));
  }

  /**
   * A free-text parameter.
   *
   * @param name the declared key
   * @return the user's value or the default
   */
  public String getString(String name) {
    return raw(name, ParamSpec.Type.STRING);
  }

  /**
   * A choice parameter.
   *
   * @param name the declared key
   * @return the user's value or the default, one of the declared choices
   */
  public String getChoice(String name) {
    return raw(name, ParamSpec.Type.CHOICE);
  }

  /**
   * The values the user set explicitly, for reports.
   *
   * @return key to value, without prefix
   */
  public Map<String, String> explicitValues() {
    return Collections.unmodifiableMap(values);
  }

  /**
   * Every declared parameter with its effective value, for reports.
   *
   * @return key to value, without prefix, in declaration order
   */
  public Map<String, String> effectiveValues() {
    Map<String, String> all = new LinkedHashMap<>();
    for (ParamSpec spec : specs.values()) {
      all.put(spec.name(), values.getOrDefault(spec.name(), spec.defaultValue()));
    }
    return all;
  }
}
