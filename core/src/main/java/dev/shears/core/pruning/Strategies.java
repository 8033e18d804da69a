package dev.shears.core.pruning;

import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.RunContext;
import dev.shears.api.StrategyKind;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The strategies of one run, resolved by name and checked against each other before any work.
 *
 * @param scorer the fine stage's scorer, guarded
 * @param allocator the coarse stage's allocator, guarded
 * @param params the {@code --param} values by kind
 * @param context what every strategy sees of the run (seed, model name)
 * @param evidence what the run must measure: the scorer's evidence, and the allocator's when it
 *     runs (an N:M pattern fixes every sparsity, so no allocator runs)
 */
record Strategies(
    Guarded.GuardedScorer scorer,
    Guarded.GuardedAllocator allocator,
    Map<StrategyKind, Map<String, String>> params,
    RunContext context,
    Set<Evidence> evidence) {

  /**
   * Creates the strategies named in {@code options}.
   *
   * @throws InvalidConfigurationException for an unknown name, a bad parameter, or a loss given
   *     to a run that measures none
   */
  static Strategies resolve(StrategyRegistry registry, ModelFile model, PruneOptions options) {
    Map<StrategyKind, Map<String, String>> params = options.paramsByKind();
    RunContext context = new RunContext(options.seed(), String.valueOf(model.path().getFileName()));
    Guarded.GuardedScorer scorer =
        new Guarded.GuardedScorer(registry, options.scorer(), params.get(StrategyKind.SCORER), context);
    Guarded.GuardedAllocator allocator =
        new Guarded.GuardedAllocator(registry, options.allocator(), params.get(StrategyKind.ALLOCATOR));
    Set<Evidence> evidence = EnumSet.noneOf(Evidence.class);
    evidence.addAll(scorer.evidence());
    if (options.pattern().isUnstructured()) {
      evidence.addAll(allocator.evidence());
    }
    Strategies s = new Strategies(scorer, allocator, params, context, java.util.Collections.unmodifiableSet(evidence));
    if (!s.usesLoss() && (options.loss() != null || !params.get(StrategyKind.LOSS).isEmpty())) {
      throw new InvalidConfigurationException("--loss and loss.* parameters need an allocator that "
          + "measures a calibration loss (like ecoflap or sensitivity); allocator '" + options.allocator()
          + "' does not");
    }
    return s;
  }

  /** Whether the allocator measures each block's loss after pruning it ({@link Evidence#PRUNED_LOSS}). */
  boolean prunedLoss() {
    return evidence.contains(Evidence.PRUNED_LOSS);
  }

  /** Whether the run evaluates a calibration loss at all. */
  boolean usesLoss() {
    return evidence.contains(Evidence.ZEROTH_ORDER_IMPORTANCE) || prunedLoss();
  }

  /** Whether the run needs calibration data (an engine). */
  boolean needsData() {
    return !evidence.isEmpty();
  }
}
