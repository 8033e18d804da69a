package dev.shears.api;

import java.util.List;

/**
 * A named factory for one strategy, found through {@link java.util.ServiceLoader}.
 *
 * <p>Implementations need a public no-argument constructor and should be cheap to construct:
 * the registry instantiates every provider on the path to list names. The real work happens
 * in {@link #create(Params)}, once per run, with the user's parameters.
 *
 * @param <S> the strategy type this provider creates
 */
public interface StrategyProvider<S> {

  /**
   * The name users select this strategy by; lower case, matching {@code [a-z][a-z0-9-]*}.
   *
   * @return the name, for example {@code "wanda"}
   */
  String name();

  /**
   * One line saying what the strategy does, shown by {@code shears plugins}.
   *
   * @return a short description
   */
  String description();

  /**
   * The parameters this strategy accepts. {@link Params} rejects any other key.
   *
   * @return the parameter specifications, possibly empty
   */
  List<ParamSpec> parameters();

  /**
   * The API version this provider was compiled against. Implement it as
   * {@code return ShearsApi.VERSION;} so that the constant is compiled into the plugin.
   *
   * @return the API version of the plugin
   */
  int apiVersion();

  /**
   * The plugin's own version, recorded in reports next to the jar it came from.
   *
   * @return by default the {@code Implementation-Version} of the jar manifest holding this
   *     class ({@link Package#getImplementationVersion()}), or {@code "unknown"} when there is
   *     none
   */
  default String version() {
    Package p = getClass().getPackage();
    String v = p == null ? null : p.getImplementationVersion();
    return v == null || v.isBlank() ? "unknown" : v;
  }

  /**
   * Creates the strategy for one run.
   *
   * @param params the user's parameters, already checked against {@link #parameters()}
   * @return a new strategy instance
   * @throws IllegalArgumentException when a parameter value is unusable
   */
  S create(Params params);
}
