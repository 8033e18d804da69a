package dev.shears.core.pruning;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.SparsityPattern;
import dev.shears.api.StrategyKind;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

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

  /**
   * The {@code --param} values by strategy kind, keys without their prefix (every kind present,
   * keys sorted).
   *
   * @throws InvalidConfigurationException for a key that is not {@code KIND.NAME}
   */
  public Map<StrategyKind, Map<String, String>> paramsByKind() {
    Map<StrategyKind, Map<String, String>> split = new LinkedHashMap<>();
    for (StrategyKind k : StrategyKind.values()) {
      split.put(k, new TreeMap<>());
    }
    for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
      String key = e.getKey();
      int dot = key.indexOf('.');
      StrategyKind kind = null;
      for (StrategyKind k : StrategyKind.values()) {
        if (dot > 0 && key.substring(0, dot).equals(k.label())) {
          kind = k;
        }
      }
      if (kind == null || dot == key.length() - 1) {
        throw new InvalidConfigurationException("--param " + key
            + ": keys are scorer.NAME, allocator.NAME or loss.NAME (see shears plugins)");
      }
      split.get(kind).put(key.substring(dot + 1), e.getValue());
    }
    return split;
  }
}
