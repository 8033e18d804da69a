package dev.shears.api;

/** Version information of the plugin API. */
public final class ShearsApi {
  /**
   * The version of this API. A provider returns this constant from
   * {@link StrategyProvider#apiVersion()}; because it is a compile-time constant, the value is
   * baked into the plugin when it is compiled, which is what lets Shears refuse a plugin built
   * against an incompatible API.
   *
   * <p>It is one number, raised whenever a change could break a plugin compiled against the
   * previous API: a type or method removed or its signature changed, a new abstract method in
   * an interface that plugins implement, or a changed contract (what a strategy must return).
   * Additions that compiled plugins cannot notice (a new default method, a new type, a new
   * evidence kind) keep it; a plugin that uses such an addition needs a Shears that has it.
   *
   * <p>2: {@link FloatTensor} is a read-only class ({@code FloatTensor.of}, {@code get},
   * {@code values()}) instead of a record with a writable {@code data()} array, and
   * {@code StrategyRegistry}, which plugins never call, left the API for Shears' core.
   * 1: the first API.
   */
  public static final int VERSION = 2;

  private ShearsApi() {}

  /**
   * Whether a plugin built against {@code pluginVersion} can run on this API: only when it is
   * exactly {@link #VERSION}. The version is a single number raised on every incompatible
   * change (see {@link #VERSION}), so an older or newer number is never known to work.
   *
   * @param pluginVersion the version a plugin was compiled against
   * @return true when {@code pluginVersion == VERSION}
   */
  public static boolean isCompatible(int pluginVersion) {
    return pluginVersion == VERSION;
  }
}
