/**
 * The service-provider interface of Shears: what a strategy plugin compiles against.
 *
 * <p>Shears prunes in two stages. An {@link dev.shears.api.Allocator} (coarse stage) decides
 * each {@link dev.shears.api.Block}'s sparsity; a {@link dev.shears.api.Scorer} (fine stage)
 * decides which weights of each {@link dev.shears.api.Layer} go. A
 * {@link dev.shears.api.CalibrationLoss} is what zeroth-order block importance is measured on.
 * Strategies see read-only views of the model and declare the {@link dev.shears.api.Evidence}
 * they need, so the engine gathers only that. Nothing here depends on ONNX Runtime, protobuf
 * or anything but the JDK.
 *
 * <h2>Writing a plugin</h2>
 *
 * <p>A plugin is a jar holding one or more {@link dev.shears.api.ScorerProvider},
 * {@link dev.shears.api.AllocatorProvider} or {@link dev.shears.api.LossProvider}
 * implementations, each listed in the matching {@code META-INF/services} file, for example
 * {@code META-INF/services/dev.shears.api.ScorerProvider}. It depends on {@code shears-api}
 * only, in {@code provided} scope. A provider
 *
 * <ul>
 *   <li>has a public no-argument constructor that does no real work (it runs whenever Shears
 *       lists strategies);
 *   <li>returns a {@linkplain dev.shears.api.StrategyProvider#name() name} matching
 *       {@code [a-z][a-z0-9-]*}, by which users select it ({@code --scorer NAME});
 *   <li>declares its {@linkplain dev.shears.api.StrategyProvider#parameters() parameters} as
 *       {@link dev.shears.api.ParamSpec}s; users set them with {@code --param scorer.KEY=VALUE}
 *       and the strategy reads them through the typed getters of {@link dev.shears.api.Params},
 *       which has already rejected unknown keys and values of the wrong type;
 *   <li>implements {@link dev.shears.api.StrategyProvider#apiVersion()} as
 *       {@code return ShearsApi.VERSION;}, so that the version it was compiled against is
 *       baked in and an incompatible Shears refuses it with a clear message;
 *   <li>builds the strategy in {@link dev.shears.api.StrategyProvider#create(Params)},
 *       throwing {@link java.lang.IllegalArgumentException} for an unusable value.
 * </ul>
 *
 * <pre>{@code
 * public final class MyScorerProvider implements ScorerProvider {
 *   public MyScorerProvider() {}
 *   public String name() { return "my-scorer"; }
 *   public String description() { return "one line for shears plugins"; }
 *   public List<ParamSpec> parameters() {
 *     return List.of(ParamSpec.ofInt("window", 8, "columns compared together"));
 *   }
 *   public int apiVersion() { return ShearsApi.VERSION; }
 *   public Scorer create(Params params) { return new MyScorer(params.getInt("window")); }
 * }
 * }</pre>
 *
 * <p>Most scorers compute one score per weight and let {@link dev.shears.api.MaskSelection}
 * pick the lowest, which keeps counts, N:M patterns and ties consistent with the built-ins.
 *
 * <h2>Discovery</h2>
 *
 * <p>{@link dev.shears.api.StrategyRegistry#load(ClassLoader)} finds providers with
 * {@link java.util.ServiceLoader}: the built-in strategies on the class path first, then the
 * jars of {@code --plugin-path} and {@code SHEARS_PLUGIN_PATH}, in order. Built-ins get no
 * special treatment. A provider that fails to load, has an invalid name or declaration, was
 * built for another API version, or repeats an earlier name (the first wins) is skipped and
 * reported on one line that names its jar; see {@link dev.shears.api.StrategyRegistry#problems()}.
 *
 * <p>A complete, tested example with build instructions lives in the Shears source tree under
 * {@code plugins/example-scorer}.
 */
package dev.shears.api;
