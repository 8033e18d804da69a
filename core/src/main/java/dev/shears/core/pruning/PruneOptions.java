package dev.shears.core.pruning;

import dev.shears.api.SparsityPattern;
import java.util.Map;

/**
 * What the user asked the pipeline to do.
 *
 * @param sparsity the global target, the fraction of prunable weights to remove
 * @param pattern unstructured or N:M
 * @param scorer the fine-stage strategy's name
 * @param allocator the coarse-stage strategy's name
 * @param loss the calibration loss's name, or {@code null} to pick one from the outputs
 * @param params every {@code --param} as given, keys with their {@code scorer.}/
 *     {@code allocator.}/{@code loss.} prefix
 * @param mode sequential or one-shot statistics
 * @param seed the seed of every random choice
 */
public record PruneOptions(
    double sparsity,
    SparsityPattern pattern,
    String scorer,
    String allocator,
    String loss,
    Map<String, String> params,
    Mode mode,
    long seed) {

  /** The fine stage's default strategy (README, "Choosing the defaults"). */
  public static final String DEFAULT_SCORER = "sparsegpt";
  /** The coarse stage's default strategy. */
  public static final String DEFAULT_ALLOCATOR = "sensitivity";
  /** The default mode, as {@code --mode} spells it. */
  public static final String DEFAULT_MODE = "one-shot";

  public PruneOptions {
    params = Map.copyOf(params);
  }
}
