package dev.shears.core.pruning;

import dev.shears.api.Block;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.PruneResult;
import dev.shears.api.RunContext;
import dev.shears.api.Scorer;
import dev.shears.api.StrategyKind;
import dev.shears.api.StrategyRegistry;
import dev.shears.core.PluginFailure;
import dev.shears.core.ShearsException;
import dev.shears.core.Version;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.BlockStages;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SkippedTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.BlockReport;
import dev.shears.core.report.PruneReport;
import dev.shears.core.report.TensorReport;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * One prune run, as data flows (ARCHITECTURE.md): coarse stage (allocator decides each
 * block's sparsity), then fine stage (scorer decides each tensor's pruned weights), giving a
 * new model in which only the pruned initializers changed, and a report.
 */
public final class PruningPipeline {
  private final StrategyRegistry registry;
  private final Progress progress;
  /** The loss picked from the model's outputs when none was named (read by the strategy search). */
  String chosenLoss;

  public PruningPipeline(StrategyRegistry registry, Progress progress) {
    this.registry = registry;
    this.progress = progress;
  }

  /**
   * The result of a run.
   *
   * @param pruned the new values of the pruned tensors (stored layout and type), by name
   * @param report what was decided and measured
   */
  public record Result(TensorStore pruned, PruneReport report) implements AutoCloseable {
    /** The whole pruned model in memory (for small models, tests and sparse storage). */
    public ModelProto toModel(ModelFile source) {
      ModelProto.Builder b = source.proto().toBuilder();
      GraphProto.Builder g = b.getGraphBuilder();
      for (int i = 0; i < g.getInitializerCount(); i++) {
        java.nio.ByteBuffer bytes = pruned.get(g.getInitializer(i).getName());
        if (bytes != null) {
          g.setInitializer(i, dev.shears.core.onnx.TensorValues.withStoredBytes(source.path(), g.getInitializer(i), bytes));
        }
      }
      return b.build();
    }

    @Override
    public void close() {
      pruned.close();
    }
  }

  /**
   * Runs the pipeline.
   *
   * @param engines opens the calibration engine when a strategy needs evidence; it should
   *     throw an {@link InvalidConfigurationException} when no calibration data was given
   */
  public Result run(
      ModelFile model, Inventory inventory, PruneOptions options, Supplier<StatisticsEngine> engines) {
    if (inventory.prunable().isEmpty()) {
      throw new ShearsException(model.path() + ": has no prunable weights (see shears inspect)");
    }
    long skippedInBlocks = inventory.skippedInBlocks();
    if (skippedInBlocks > 0) {
      long tensors = inventory.skipped().stream().filter(s -> s.block() != null).count();
      progress.note(String.format(Locale.ROOT, "warning: %d linear weight tensor%s inside the blocks (%,d weights)"
          + " cannot be pruned and stay dense; the sparsity over all linear weights in the blocks will be lower"
          + " than --sparsity (see shears inspect)", tensors, tensors == 1 ? "" : "s", skippedInBlocks));
    }
    Map<StrategyKind, Map<String, String>> params = splitParams(options.params());
    RunContext context = new RunContext(options.seed(), String.valueOf(model.path().getFileName()));
    Guarded.GuardedScorer scorer =
        new Guarded.GuardedScorer(registry, options.scorer(), params.get(StrategyKind.SCORER), context);
    Guarded.GuardedAllocator allocator =
        new Guarded.GuardedAllocator(registry, options.allocator(), params.get(StrategyKind.ALLOCATOR));
    Timings timings = new Timings();
    Map<String, List<PrunableTensor>> blocks = inventory.blocks();

    Set<Evidence> needed = EnumSet.noneOf(Evidence.class);
    needed.addAll(scorer.evidence());
    if (options.pattern().isUnstructured()) {
      needed.addAll(allocator.evidence());
    }
    boolean prunedLoss = needed.contains(Evidence.PRUNED_LOSS);
    boolean usesLoss = needed.contains(Evidence.ZEROTH_ORDER_IMPORTANCE) || prunedLoss;
    if (!usesLoss && (options.loss() != null || !params.get(StrategyKind.LOSS).isEmpty())) {
      throw new InvalidConfigurationException("--loss and loss.* parameters need an allocator that "
          + "measures a calibration loss (like ecoflap or sensitivity); allocator '" + options.allocator()
          + "' does not");
    }
    StatisticsEngine engine = needed.isEmpty() ? null : engines.get();
    try {
      // Coarse stage.
      Map<String, Double> allocation;
      Map<String, Double> importance = null;
      // dense statistics holding the scorer's kinds, taken for the pruned-loss measurements
      Map<String, LayerStatistics> denseScorerStats = null;
      Map<String, Map<Double, Double>> measured = null;
      if (!options.pattern().isUnstructured()) {
        double s = options.pattern().impliedSparsity();
        allocation = new LinkedHashMap<>();
        for (String b : blocks.keySet()) {
          allocation.put(b, s);
        }
        progress.note("note: --pattern " + options.pattern() + " fixes every tensor's sparsity at "
            + s + "; the allocator is not used");
      } else {
        Set<Evidence> allocStats = EnumSet.noneOf(Evidence.class);
        allocStats.addAll(allocator.evidence());
        allocStats.remove(Evidence.ZEROTH_ORDER_IMPORTANCE);
        allocStats.remove(Evidence.PRUNED_LOSS);
        if (prunedLoss) {
          // blocks are pruned from the dense model's statistics to measure their losses: one
          // pass takes the scorer's kinds with the allocator's
          allocStats.addAll(scorer.evidence());
        }
        Map<String, LayerStatistics> dense = Map.of();
        if (!allocStats.isEmpty()) {
          dense = timings.time("statistics (allocation)",
              () -> engine.oneShot(inventory.prunable(), allocStats));
        }
        CalibrationLoss loss = usesLoss ? loss(model, options.loss(), params.get(StrategyKind.LOSS)) : null;
        if (allocator.evidence().contains(Evidence.ZEROTH_ORDER_IMPORTANCE)) {
          importance = timings.time("zeroth-order importance", () -> engine.blockImportance(
              blocks, allocator.zerothOrder(), loss, options.seed()));
        }
        Map<String, Double> decided;
        if (prunedLoss) {
          denseScorerStats = dense;
          StatisticsEngine.BlockLosses losses = timings.time("pruned loss (dense pass)",
              () -> engine.blockLosses(blocks, allocator.zerothOrder(), loss, options.seed()));
          long perBlock = Math.max(0, allocator.lossEvaluationsPerBlock(options.sparsity()));
          try (losses;
              Progress.Task bar = progress.start("Pruned-loss evaluations", perBlock * blocks.size())) {
            BlockSensitivity sensitivity = new BlockSensitivity(model, blocks, dense, scorer, losses, bar);
            List<Block> views = blockViews(model, blocks, dense, importance, sensitivity, context);
            long start = System.nanoTime();
            try {
              decided = allocator.allocate(views, options.sparsity());
            } catch (RuntimeException e) {
              // a measurement's own failure (the runtime, the scorer, a loss) is not the allocator's
              throw sensitivity.failure() != null ? sensitivity.failure() : e;
            }
            timings.add("pruned loss (measurements)", sensitivity.nanos());
            timings.add("allocation", System.nanoTime() - start - sensitivity.nanos());
            measured = sensitivity.measured();
          }
        } else {
          List<Block> views = blockViews(model, blocks, dense, importance, null, context);
          decided = timings.time("allocation", () -> allocator.allocate(views, options.sparsity()));
        }
        allocation = checkAllocation(allocator.who(), blocks, decided);
        noteAllocation(allocation, importance);
      }
      // per-tensor targets that keep the global budget exactly (rounding carried across tensors)
      Map<String, Double> tensorSparsity = options.pattern().isUnstructured()
          ? BudgetPlan.of(blocks, allocation, options.sparsity(), allocator.who())
          : null;
      Map<String, Double> finalAllocation = allocation;

      // Fine stage: each tensor's new values go to the store as soon as they exist.
      TensorStore store = new TensorStore();
      Map<String, long[]> counts = new java.util.concurrent.ConcurrentHashMap<>();
      Set<Evidence> scorerStats = scorer.evidence();
      try {
        if (scorerStats.isEmpty() || options.mode() == Mode.ONE_SHOT) {
          // one-shot statistics are the dense model's: those taken for the coarse stage serve
          Map<String, LayerStatistics> stats = scorerStats.isEmpty() ? Map.of()
              : denseScorerStats != null ? denseScorerStats
              : timings.time("statistics", () -> engine.oneShot(inventory.prunable(), scorerStats));
          try (Progress.Task bar = progress.start("Pruning", inventory.prunable().size())) {
            timings.time("scoring and masking", () -> {
              // tensors are independent: score them on all cores (each scorer is thread-safe)
              inParallel(inventory.prunable(), t -> {
                pruneOne(model, t, stats.get(t.name()), scorer, target(options, finalAllocation, tensorSparsity, t),
                    store, counts);
                synchronized (bar) {
                  bar.step();
                }
              });
              return null;
            });
          }
        } else {
          // one progress bar per stage's statistics pass; scoring a stage is quick by comparison.
          // Blocks that do not depend on each other (the towers of a CLIP model) share a stage.
          List<List<PrunableTensor>> stages = new ArrayList<>();
          for (List<String> stage : BlockStages.of(model.proto().getGraph(), blocks)) {
            List<PrunableTensor> tensors = new ArrayList<>();
            stage.forEach(b -> tensors.addAll(blocks.get(b)));
            stages.add(tensors);
          }
          try (StatisticsEngine.SequentialPass pass = engine.sequential(scorerStats, store, stages)) {
            for (List<PrunableTensor> tensors : stages) {
              Map<String, LayerStatistics> stats = timings.time("statistics", () -> pass.statistics(tensors));
              timings.time("scoring and masking", () -> {
                inParallel(tensors, t ->
                    pruneOne(model, t, stats.get(t.name()), scorer, target(options, finalAllocation, tensorSparsity, t),
                        store, counts));
                return null;
              });
            }
          }
        }
        PruneReport report = report(model, inventory, options, allocation, importance, counts, scorer, params,
            timings);
        if (measured != null) {
          report.settings().put("lossIncrease", measured);
        }
        if (engine != null) {
          report.settings().put("engine", engine.diagnostics());
          report.timingsSeconds().putAll(engine.timingsSeconds());
        }
        return new Result(store, report);
      } catch (RuntimeException | Error e) {
        store.close();
        throw e;
      }
    } finally {
      if (engine != null) {
        engine.close();
      }
    }
  }

  /** The loss the user named, or the first that fits the model's outputs (also the strategy search's). */
  CalibrationLoss loss(ModelFile model, String name, Map<String, String> params) {
    Set<String> outputs = new java.util.LinkedHashSet<>();
    model.proto().getGraph().getOutputList().forEach(v -> outputs.add(v.getName()));
    if (name != null) {
      CalibrationLoss loss = new Guarded.GuardedLoss(registry, name, params);
      if (!loss.appliesTo(outputs)) {
        throw new InvalidConfigurationException("--loss " + name + " does not fit this model's outputs " + outputs);
      }
      return loss;
    }
    for (StrategyRegistry.Entry e : registry.entries(StrategyKind.LOSS)) {
      String candidateName = e.provider().name();
      CalibrationLoss candidate = new Guarded.GuardedLoss(registry, candidateName, Map.of());
      if (candidate.appliesTo(outputs)) {
        progress.note("loss: " + candidateName + " (picked from the model's outputs; --loss to change)");
        chosenLoss = candidateName;
        return new Guarded.GuardedLoss(registry, candidateName, params);
      }
    }
    throw new InvalidConfigurationException("the model's outputs " + outputs + " fit no calibration loss; give --loss NAME"
        + " (available: " + String.join(", ", registry.availableNames(StrategyKind.LOSS)) + ")");
  }

  private static LayerTarget target(PruneOptions o, Map<String, Double> allocation,
      Map<String, Double> tensorSparsity, PrunableTensor t) {
    double s = tensorSparsity != null ? tensorSparsity.get(t.name()) : allocation.get(t.block());
    return new LayerTarget(s, o.pattern());
  }

  /** Prunes one tensor, stores its new values and counts them. */
  private static void pruneOne(ModelFile model, PrunableTensor t, LayerStatistics stats,
      Guarded.GuardedScorer scorer, LayerTarget target, TensorStore store, Map<String, long[]> counts) {
    Pruned p = prune(model, t, stats, scorer, target);
    store.put(t.name(), WeightCodec.storedBytes(t, p.values()));
    counts.put(t.name(), new long[] {p.pruned(), p.zeros()});
  }

  /**
   * One tensor's new values, row-major.
   *
   * @param values the weights after pruning (pruned ones zero)
   * @param pruned how many the scorer pruned
   * @param zeros how many are zero
   */
  record Pruned(float[] values, long pruned, long zeros) {}

  /** Prunes one tensor with the scorer, checking its result. */
  static Pruned prune(ModelFile model, PrunableTensor t, LayerStatistics stats, Guarded.GuardedScorer scorer,
      LayerTarget target) {
    LayerView view = new LayerView(t, () -> WeightCodec.readView(model, t), stats, scorer.context());
    PruneResult result = scorer.prune(view, target);
    // copy first: the scorer may still hold (and change) what it returned
    BitSet pruned = (BitSet) result.pruned().clone();
    float[] updated = result.updatedWeights() != null ? result.updatedWeights().clone() : null;
    result = new PruneResult(pruned, updated);
    ContractChecks.scorerResult(scorer.who(), Guarded.tensor(view), t.rows(), t.columns(), target,
        scorer.group(), result);
    // the view's array is ours and read for nothing else afterwards: zero it in place
    float[] values = updated != null ? updated : view.weightArray();
    for (int i = pruned.nextSetBit(0); i >= 0; i = pruned.nextSetBit(i + 1)) {
      values[i] = 0f;
    }
    long zeros = 0;
    for (float v : values) {
      if (v == 0f) {
        zeros++;
      }
    }
    return new Pruned(values, pruned.cardinality(), zeros);
  }

  private List<Block> blockViews(ModelFile model, Map<String, List<PrunableTensor>> blocks,
      Map<String, LayerStatistics> stats, Map<String, Double> importance, BlockSensitivity sensitivity,
      RunContext context) {
    List<Block> views = new ArrayList<>();
    for (Map.Entry<String, List<PrunableTensor>> e : blocks.entrySet()) {
      List<Layer> layers = new ArrayList<>();
      for (PrunableTensor t : e.getValue()) {
        layers.add(new LayerView(t, () -> WeightCodec.readView(model, t), stats.get(t.name()), context));
      }
      Double imp = importance == null ? null : importance.get(e.getKey());
      views.add(new BlockView(e.getKey(), e.getValue().get(0).tower(), layers, imp, sensitivity, context));
    }
    return views;
  }

  /** The coarse stage's decision, as a small table on stderr. */
  private void noteAllocation(Map<String, Double> allocation, Map<String, Double> importance) {
    StringBuilder sb = new StringBuilder("allocation:");
    for (Map.Entry<String, Double> e : allocation.entrySet()) {
      sb.append(String.format(Locale.ROOT, "%n  %-40s sparsity %.4f", e.getKey(), e.getValue()));
      if (importance != null) {
        sb.append(String.format(Locale.ROOT, "  importance %.5g", importance.get(e.getKey())));
      }
    }
    progress.note(sb.toString());
  }

  private static Map<String, Double> checkAllocation(
      PluginFailure.Strategy who, Map<String, List<PrunableTensor>> blocks, Map<String, Double> decided) {
    return ContractChecks.allocation(who, List.copyOf(blocks.keySet()), decided);
  }

  /**
   * Runs {@code work} on every tensor, in parallel. A failure does not escape from a worker
   * thread (where it could come out wrapped differently from run to run): each is kept, later
   * tensors are skipped once one failed, and the failure of the first tensor in list order is
   * thrown, so identical runs report the same tensor with the same message.
   */
  static void inParallel(List<PrunableTensor> tensors, java.util.function.Consumer<PrunableTensor> work) {
    java.util.concurrent.atomic.AtomicInteger firstFailed = new java.util.concurrent.atomic.AtomicInteger(Integer.MAX_VALUE);
    RuntimeException[] failures = new RuntimeException[tensors.size()];
    java.util.stream.IntStream.range(0, tensors.size()).parallel().forEach(i -> {
      if (i > firstFailed.get()) {
        return;
      }
      try {
        work.accept(tensors.get(i));
      } catch (RuntimeException e) {
        failures[i] = e;
        firstFailed.accumulateAndGet(i, Math::min);
      }
    });
    int first = firstFailed.get();
    if (first != Integer.MAX_VALUE) {
      throw failures[first];
    }
  }

  /** Where a strategy came from, for the report: its name, jar or folder, and version. */
  private Map<String, String> strategyOrigin(StrategyKind kind, String name) {
    StrategyRegistry.Entry e = registry.forName(kind, name);
    String version;
    try {
      version = String.valueOf(e.provider().version());
    } catch (RuntimeException | LinkageError ex) {
      version = "unknown";
    }
    Map<String, String> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("source", e.source());
    m.put("version", version);
    return m;
  }

  /**
   * Splits {@code --param} values by strategy kind, keys without their prefix.
   *
   * @throws InvalidConfigurationException for a key that is not {@code KIND.NAME}
   */
  public static Map<StrategyKind, Map<String, String>> splitParams(Map<String, String> all) {
    Map<StrategyKind, Map<String, String>> split = new LinkedHashMap<>();
    for (StrategyKind k : StrategyKind.values()) {
      split.put(k, new TreeMap<>());
    }
    for (Map.Entry<String, String> e : new TreeMap<>(all).entrySet()) {
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

  private PruneReport report(ModelFile model, Inventory inv, PruneOptions o, Map<String, Double> allocation,
      Map<String, Double> importance, Map<String, long[]> counts, Scorer scorer,
      Map<StrategyKind, Map<String, String>> params, Timings timings) {
    List<TensorReport> tensors = new ArrayList<>();
    Map<String, long[]> blockCounts = new LinkedHashMap<>();
    long total = 0;
    long pruned = 0;
    for (PrunableTensor t : inv.prunable()) {
      long p = counts.get(t.name())[0];
      long zeros = counts.get(t.name())[1];
      tensors.add(new TensorReport(t.name(), t.block(), t.consumers().stream().map(Consumer::node).toList(),
          t.storedShape(), t.dataType().name().toLowerCase(Locale.ROOT), t.parameters(),
          allocation.get(t.block()), p, (double) p / t.parameters(), zeros));
      long[] c = blockCounts.computeIfAbsent(t.block(), k -> new long[2]);
      c[0] += t.parameters();
      c[1] += p;
      total += t.parameters();
      pruned += p;
    }
    List<BlockReport> blocks = new ArrayList<>();
    Map<String, List<PrunableTensor>> byBlock = inv.blocks();
    for (Map.Entry<String, long[]> e : blockCounts.entrySet()) {
      long[] c = e.getValue();
      blocks.add(new BlockReport(e.getKey(), byBlock.get(e.getKey()).get(0).tower(), c[0],
          allocation.get(e.getKey()), (double) c[1] / c[0],
          importance == null ? null : importance.get(e.getKey())));
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("sparsity", o.pattern().isUnstructured() ? o.sparsity() : o.pattern().impliedSparsity());
    settings.put("pattern", o.pattern().toString());
    settings.put("scorer", o.scorer());
    settings.put("scorerParams", params.get(StrategyKind.SCORER));
    settings.put("allocator", o.allocator());
    settings.put("allocatorParams", params.get(StrategyKind.ALLOCATOR));
    if (o.loss() != null || chosenLoss != null) {
      settings.put("loss", o.loss() != null ? o.loss() : chosenLoss);
      settings.put("lossParams", params.get(StrategyKind.LOSS));
    }
    settings.put("mode", scorer.evidence().isEmpty() ? "data-free" : o.mode().label());
    settings.put("seed", o.seed());
    Map<String, Object> used = new LinkedHashMap<>();
    used.put("scorer", strategyOrigin(StrategyKind.SCORER, o.scorer()));
    used.put("allocator", strategyOrigin(StrategyKind.ALLOCATOR, o.allocator()));
    if (o.loss() != null || chosenLoss != null) {
      used.put("loss", strategyOrigin(StrategyKind.LOSS, o.loss() != null ? o.loss() : chosenLoss));
    }
    settings.put("strategies", used);
    settings.put("pluginProblems", List.copyOf(registry.problems()));
    List<Map<String, String>> skipped = new ArrayList<>();
    for (SkippedTensor s : inv.skipped()) {
      skipped.add(s.describe());
    }
    double target = o.pattern().isUnstructured() ? o.sparsity() : o.pattern().impliedSparsity();
    return new PruneReport("shears " + Version.get(), model.path().toString(), null, settings,
        new PruneReport.Totals(total, pruned, (double) pruned / total, target, inv.skippedInBlocks()), blocks,
        tensors, skipped,
        timings.seconds());
  }
}
