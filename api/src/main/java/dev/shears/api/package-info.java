/**
 * The service-provider interface of Shears: what a strategy plugin compiles against.
 *
 * <p>A plugin is a jar holding one or more {@link dev.shears.api.ScorerProvider},
 * {@link dev.shears.api.AllocatorProvider} or {@link dev.shears.api.LossProvider}
 * implementations, each listed in the matching {@code META-INF/services} file. Shears finds
 * them with {@link java.util.ServiceLoader} through {@link dev.shears.api.StrategyRegistry}
 * and the user selects one by its {@linkplain dev.shears.api.StrategyProvider#name() name}.
 *
 * <p>Strategies see read-only views of the model ({@link dev.shears.api.Layer},
 * {@link dev.shears.api.Block}) and declare the {@link dev.shears.api.Evidence} they need, so
 * the engine gathers only that. Nothing here depends on ONNX Runtime or protobuf.
 */
package dev.shears.api;
