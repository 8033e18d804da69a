package dev.shears.api;

/** Version information of the plugin API. */
public final class ShearsApi {
  /**
   * The version of this API. A provider returns this constant from
   * {@link StrategyProvider#apiVersion()}; because it is a compile-time constant, the value is
   * baked into the plugin when it is compiled, which is what lets Shears refuse a plugin built
   * against an incompatible API.
   */
  public static final int VERSION = 1;

  private ShearsApi() {}

  /**
   * Whether a plugin built against {@code pluginVersion} can run on this API.
   *
   * @param pluginVersion the version a plugin was compiled against
   * @return true when compatible (same major version)
   */
  public static boolean isCompatible(int pluginVersion) {
    return pluginVersion == VERSION;
  }
}
