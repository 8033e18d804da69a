package dev.shears.api;

/**
 * What a strategy may know about the run it is part of, from {@link Layer#context()} or
 * {@link Block#context()}.
 *
 * @param seed the run's seed ({@code --seed}, default 0): a strategy that makes random
 *     choices derives them from it, so that the same seed gives the same model
 * @param modelName the file name of the model being pruned, for example {@code model.onnx}
 */
public record RunContext(long seed, String modelName) {
  /**
   * Checks the fields.
   *
   * @param seed the run's seed
   * @param modelName the model's file name
   */
  public RunContext {
    java.util.Objects.requireNonNull(modelName, "modelName");
  }
}
