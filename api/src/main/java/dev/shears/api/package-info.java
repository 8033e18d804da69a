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
 * <p>Shears finds providers with {@link java.util.ServiceLoader}: the built-in strategies on
 * the class path first, then the jars of {@code --plugin-path} and {@code SHEARS_PLUGIN_PATH},
 * in order. Built-ins get no special treatment. A provider that fails to load, has an invalid
 * name or declaration, or was built for another API version is skipped and reported on one
 * line that names its jar ({@code shears plugins} lists them). Two providers of one kind with
 * the same name (a built-in included) are both refused, naming both jars: which code runs never
 * depends on the order of the plugin path. These lines are shown even with {@code --quiet} and
 * recorded in the prune report, which also records each strategy's jar and
 * {@linkplain dev.shears.api.StrategyProvider#version() version}.
 *
 * <h2>What Shears guarantees and expects at run time</h2>
 *
 * <ul>
 *   <li><b>Order of calls.</b> {@link dev.shears.api.StrategyProvider#create(Params)} once per
 *       run; then {@code evidence()} of the scorer and allocator once each, right after
 *       creation and before any calibration data is read (the engine gathers only what they
 *       declare); then the allocator's {@link dev.shears.api.Allocator#allocate allocate}
 *       once (not under an N:M pattern, which fixes every sparsity), then the scorer's {@link dev.shears.api.Scorer#prune prune} once per layer.
 *   <li><b>Threads.</b> A scorer is called from several threads at once, for different
 *       layers: it must be thread-safe (keep per-call state local). An allocator is called
 *       once, from one thread. A {@link dev.shears.api.CalibrationLoss} is called from one
 *       thread at a time.
 *   <li><b>Blocks</b> come in the order their first consuming node appears in the model,
 *       which ONNX keeps topological: within a tower, data-flow order ({@code layers.0},
 *       {@code layers.1}, …). A block's layers are in graph order.
 *   <li><b>Statistics</b> ({@link dev.shears.api.Layer#inputSquareSums()},
 *       {@link dev.shears.api.Layer#inputAbsSums()}, {@link dev.shears.api.Layer#inputAbsMax()},
 *       {@link dev.shears.api.Layer#inputGram()}) are sums (or maxima) over every token of every
 *       calibration sample, padding tokens included; {@link dev.shears.api.Layer#tokens()}
 *       counts them.
 *   <li><b>Context.</b> {@link dev.shears.api.Layer#context()} and
 *       {@link dev.shears.api.Block#context()} give the run's seed and the model's name;
 *       {@link dev.shears.api.Layer#nodes()} the nodes that consume a weight.
 *   <li><b>Checks.</b> Shears checks every result: a scorer must remove exactly what
 *       {@link dev.shears.api.MaskSelection} would for the target, under the group its
 *       {@link dev.shears.api.Scorer#group()} declares, with indices inside the layer and
 *       finite updated weights; an allocator must give every block, and only those, a value
 *       in {@code [0, 1)}. A result that breaks this, and any exception a strategy throws,
 *       ends the run (exit 1) with one line naming the strategy, its jar and the layer or
 *       block; no output is written.
 *   <li><b>Versions.</b> {@link dev.shears.api.ShearsApi#VERSION} is raised on every change
 *       that could break a compiled plugin; a plugin runs only on the exact version it was
 *       built against ({@link dev.shears.api.ShearsApi#isCompatible(int)}).
 * </ul>
 *
 * <p>A complete, tested example with build instructions lives in the Shears source tree under
 * {@code plugins/example-scorer}.
 */
package dev.shears.api;
