package dev.shears.core.pruning;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.ModelRun;
import dev.shears.api.PruneResult;
import dev.shears.api.RunContext;
import dev.shears.api.Scorer;
import dev.shears.api.StrategyKind;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.PluginFailure;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Strategies as the pipeline calls them: every call into plugin code goes through one of
 * these wrappers, which turn whatever the plugin throws into one {@link PluginFailure} naming
 * the strategy, its jar and what it was working on. {@code evidence()} is asked once, when
 * the strategy is created.
 */
final class Guarded {
  private Guarded() {}

  /** Who the strategy named {@code name} of this kind is; fails like the registry for an unknown name. */
  static PluginFailure.Strategy who(StrategyRegistry registry, StrategyKind kind, String name) {
    return new PluginFailure.Strategy(kind, name, registry.forName(kind, name).source());
  }

  /** Creates a strategy through the registry; a usage error stays one, anything else is the plugin's failure. */
  static Object create(StrategyRegistry registry, PluginFailure.Strategy who, Map<String, String> params) {
    try {
      return registry.create(who.kind(), who.name(), params);
    } catch (InvalidConfigurationException e) {
      throw e;
    } catch (Exception | LinkageError | AssertionError e) {
      throw PluginFailure.threw(who, "in create", e);
    }
  }

  /** Calls plugin code. */
  static <T> T call(PluginFailure.Strategy who, String where, Supplier<T> call) {
    try {
      return call.get();
    } catch (PluginFailure e) {
      throw e;
    } catch (Exception | LinkageError | AssertionError e) {
      // Exception: a checked exception can be thrown sneakily; LinkageError: a plugin built
      // against other classes; AssertionError: a plugin's own assert
      throw PluginFailure.threw(who, where, e);
    }
  }

  private static Set<Evidence> evidence(PluginFailure.Strategy who, Supplier<Set<Evidence>> call) {
    Set<Evidence> e = call(who, "in evidence()", call);
    if (e == null || e.stream().anyMatch(java.util.Objects::isNull)) {
      throw PluginFailure.refused(who, "returned null from evidence(), or a set holding null (Set.of() for none)");
    }
    return Set.copyOf(e);
  }

  /** How a tensor is named in messages: its name and the nodes that consume it. */
  static String tensor(Layer layer) {
    String nodes = String.join(", ", layer.nodes());
    return "tensor " + layer.name() + (nodes.isEmpty() ? "" : " (node " + nodes + ")");
  }

  /** A scorer and who it is. */
  static final class GuardedScorer implements Scorer {
    private final PluginFailure.Strategy who;
    private final Scorer scorer;
    private final Set<Evidence> evidence;
    private final MaskSelection.Group group;
    private final RunContext context;

    GuardedScorer(StrategyRegistry registry, String name, Map<String, String> params, RunContext context) {
      this.context = context;
      this.who = Guarded.who(registry, StrategyKind.SCORER, name);
      this.scorer = (Scorer) create(registry, who, params);
      this.evidence = Guarded.evidence(who, scorer::evidence);
      MaskSelection.Group g = call(who, "in group()", scorer::group);
      if (g == null) {
        throw PluginFailure.refused(who, "returned no group from group()");
      }
      this.group = g;
    }

    private GuardedScorer(GuardedScorer of, Scorer variant) {
      this.context = of.context;
      this.who = of.who;
      this.scorer = variant;
      this.evidence = Guarded.evidence(who, variant::evidence);
      if (!of.evidence.containsAll(evidence)) {
        throw PluginFailure.refused(who, "forLossMeasurements() returned a scorer that reads " + evidence
            + ", more than the scorer's own " + of.evidence);
      }
      this.group = of.group;
    }

    /**
     * The scorer's {@link Scorer#forLossMeasurements()} variant, guarded like the scorer: it may
     * read only evidence the scorer reads (nothing else is collected), and it is held to the
     * scorer's group.
     */
    @Override
    public GuardedScorer forLossMeasurements() {
      Scorer variant = call(who, "in forLossMeasurements()", scorer::forLossMeasurements);
      if (variant == null) {
        throw PluginFailure.refused(who, "returned null from forLossMeasurements() (return this for no variant)");
      }
      return variant == scorer ? this : new GuardedScorer(this, variant);
    }

    PluginFailure.Strategy who() {
      return who;
    }

    /** The run context the layers it scores carry. */
    RunContext context() {
      return context;
    }

    @Override
    public Set<Evidence> evidence() {
      return evidence;
    }

    @Override
    public MaskSelection.Group group() {
      return group;
    }

    @Override
    public PruneResult prune(Layer layer, LayerTarget target) {
      PruneResult result = call(who, "on " + tensor(layer), () -> scorer.prune(layer, target));
      if (result == null) {
        throw PluginFailure.refused(who, "returned no result for " + tensor(layer));
      }
      return result;
    }
  }

  /** An allocator and who it is. */
  static final class GuardedAllocator implements Allocator {
    private final PluginFailure.Strategy who;
    private final Allocator allocator;
    private final Set<Evidence> evidence;

    GuardedAllocator(StrategyRegistry registry, String name, Map<String, String> params) {
      this.who = Guarded.who(registry, StrategyKind.ALLOCATOR, name);
      this.allocator = (Allocator) create(registry, who, params);
      this.evidence = Guarded.evidence(who, allocator::evidence);
    }

    PluginFailure.Strategy who() {
      return who;
    }

    @Override
    public Set<Evidence> evidence() {
      return evidence;
    }

    @Override
    public ZerothOrderSettings zerothOrder() {
      ZerothOrderSettings z = call(who, "in zerothOrder()", allocator::zerothOrder);
      if (z == null) {
        throw PluginFailure.refused(who, "returned no settings from zerothOrder()");
      }
      return z;
    }

    @Override
    public int lossEvaluationsPerBlock(double sparsity) {
      return call(who, "in lossEvaluationsPerBlock()", () -> allocator.lossEvaluationsPerBlock(sparsity));
    }

    @Override
    public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
      return call(who, "in allocate (" + blocks.size() + " blocks)", () -> allocator.allocate(blocks, sparsity));
    }
  }

  /** A calibration loss and who it is. */
  static final class GuardedLoss implements CalibrationLoss {
    private final PluginFailure.Strategy who;
    private final CalibrationLoss loss;

    GuardedLoss(PluginFailure.Strategy who, CalibrationLoss loss) {
      this.who = who;
      this.loss = loss;
    }

    GuardedLoss(StrategyRegistry registry, String name, Map<String, String> params) {
      this.who = Guarded.who(registry, StrategyKind.LOSS, name);
      this.loss = (CalibrationLoss) create(registry, who, params);
    }

    @Override
    public boolean appliesTo(Set<String> outputNames) {
      return call(who, "in appliesTo()", () -> loss.appliesTo(outputNames));
    }

    @Override
    public int preferredBatchSize() {
      return call(who, "in preferredBatchSize()", loss::preferredBatchSize);
    }

    @Override
    public boolean needsMismatchedPairs() {
      return call(who, "in needsMismatchedPairs()", loss::needsMismatchedPairs);
    }

    @Override
    public double loss(ModelRun candidate, ModelRun dense) {
      return call(who, "in loss()", () -> loss.loss(candidate, dense));
    }
  }
}
