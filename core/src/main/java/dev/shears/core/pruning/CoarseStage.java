package dev.shears.core.pruning;

import dev.shears.api.Block;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.RunContext;
import dev.shears.api.SubLayer;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.progress.Progress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The coarse stage: how sparse each block should be. The allocator decides from the evidence it
 * asked for (dense statistics, zeroth-order importance, measured pruned-block losses); an N:M
 * pattern fixes every block's sparsity and no allocator runs. Ends with the per-tensor targets
 * that keep the global budget exactly.
 */
final class CoarseStage {
  private final StageInputs in;

  CoarseStage(StageInputs in) {
    this.in = in;
  }

  /**
   * What the coarse stage decided, and what it measured that later stages and the report use.
   *
   * @param blockSparsity each block's sparsity (for a block split among its layers, their mean
   *     weighted by size)
   * @param askedSparsity each tensor's sparsity as the allocator asked, before the budget's
   *     rounding, or {@code null} for an N:M pattern
   * @param tensorSparsity each tensor's sparsity (the budget kept exactly across tensors), or
   *     {@code null} for an N:M pattern
   * @param importance each block's zeroth-order importance, or {@code null} when not estimated
   * @param denseStatistics the dense model's statistics of the scorer's kinds, taken for the
   *     pruned-loss measurements (a one-shot fine stage reuses them), or {@code null}
   * @param lossIncrease the measured loss increase per block and sparsity, or {@code null}
   * @param loss the calibration loss, or {@code null} when none was evaluated
   */
  record Outcome(Map<String, Double> blockSparsity, Map<String, Double> askedSparsity,
      Map<String, Double> tensorSparsity,
      Map<String, Double> importance, Map<String, LayerStatistics> denseStatistics,
      Map<String, Map<Double, Double>> lossIncrease, LossChoice loss) {

    /** The fine stage's target for one tensor. */
    LayerTarget target(PrunableTensor t, dev.shears.api.SparsityPattern pattern) {
      double s = tensorSparsity != null ? tensorSparsity.get(t.name()) : blockSparsity.get(t.block());
      return new LayerTarget(s, pattern);
    }
  }

  /**
   * Runs the stage.
   *
   * @param engine the calibration engine, or {@code null} when the run needs no data
   * @param losses resolves the calibration loss when the allocator evaluates one
   */
  Outcome run(StatisticsEngine engine, java.util.function.Supplier<LossChoice> losses) {
    if (!in.options().pattern().isUnstructured()) {
      double s = in.options().pattern().impliedSparsity();
      Map<String, Double> allocation = new LinkedHashMap<>();
      for (String b : in.blocks().keySet()) {
        allocation.put(b, s);
      }
      in.progress().note("note: --pattern " + in.options().pattern() + " fixes every tensor's sparsity at "
          + s + "; the allocator is not used");
      return new Outcome(allocation, null, null, null, null, null, null);
    }
    Guarded.GuardedAllocator allocator = in.strategies().allocator();
    Set<Evidence> allocStats = EnumSet.noneOf(Evidence.class);
    allocStats.addAll(allocator.evidence());
    allocStats.remove(Evidence.ZEROTH_ORDER_IMPORTANCE);
    allocStats.remove(Evidence.PRUNED_LOSS);
    if (in.strategies().prunedLoss()) {
      // blocks are pruned from the dense model's statistics to measure their losses: one
      // pass takes the scorer's kinds with the allocator's
      allocStats.addAll(in.strategies().scorer().evidence());
    }
    Map<String, LayerStatistics> dense = allocStats.isEmpty() ? Map.of()
        : in.timings().time("statistics (allocation)", () -> engine.oneShot(in.prunable(), allocStats));
    LossChoice loss = in.strategies().usesLoss() ? losses.get() : null;
    CalibrationLoss calibrationLoss = loss == null ? null : loss.loss();
    Map<String, Double> importance = null;
    if (allocator.evidence().contains(Evidence.ZEROTH_ORDER_IMPORTANCE)) {
      importance = in.timings().time("zeroth-order importance", () -> engine.blockImportance(
          in.blocks(), allocator.zerothOrder(), calibrationLoss, in.options().seed()));
    }
    Map<String, Double> decided;
    Map<String, Map<Double, Double>> measured = null;
    Map<String, LayerStatistics> denseScorerStats = null;
    if (in.strategies().prunedLoss()) {
      denseScorerStats = dense;
      StatisticsEngine.BlockLosses blockLosses = in.timings().time("pruned loss (dense pass)",
          () -> engine.blockLosses(in.blocks(), allocator.zerothOrder(), calibrationLoss, in.options().seed()));
      long perBlock = Math.max(0, allocator.lossEvaluationsPerBlock(in.options().sparsity()));
      try (blockLosses;
          Progress.Task bar = in.progress().start("Pruned-loss evaluations", perBlock * in.blocks().size())) {
        BlockSensitivity sensitivity =
            new BlockSensitivity(in.model(), in.blocks(), dense,
                in.strategies().scorer().forLossMeasurements(), blockLosses, bar);
        List<Block> views = blockViews(dense, importance, sensitivity);
        long start = System.nanoTime();
        try {
          decided = allocator.allocate(views, in.options().sparsity());
        } catch (RuntimeException e) {
          // a measurement's own failure (the runtime, the scorer, a loss) is not the allocator's
          throw sensitivity.failure() != null ? sensitivity.failure() : e;
        }
        in.timings().add("pruned loss (measurements)", sensitivity.nanos());
        in.timings().add("allocation", System.nanoTime() - start - sensitivity.nanos());
        measured = sensitivity.measured();
      }
    } else {
      List<Block> views = blockViews(dense, importance, null);
      decided = in.timings().time("allocation", () -> allocator.allocate(views, in.options().sparsity()));
    }
    Map<String, Double> asked = ContractChecks.perTensor(allocator.who(), in.blocks(), decided);
    Map<String, Double> allocation = blockMeans(asked);
    noteAllocation(allocation, asked, importance);
    Map<String, Double> tensorSparsity =
        BudgetPlan.ofTensors(in.blocks(), asked, in.options().sparsity(), allocator.who());
    return new Outcome(allocation, asked, tensorSparsity, importance, denseScorerStats, measured, loss);
  }

  private List<Block> blockViews(Map<String, LayerStatistics> stats, Map<String, Double> importance,
      BlockSensitivity sensitivity) {
    RunContext context = in.strategies().context();
    List<Block> views = new ArrayList<>();
    for (Map.Entry<String, List<PrunableTensor>> e : in.blocks().entrySet()) {
      List<Layer> layers = new ArrayList<>();
      for (PrunableTensor t : e.getValue()) {
        layers.add(new LayerView(t, () -> WeightCodec.readView(in.model(), t), stats.get(t.name()), context));
      }
      Double imp = importance == null ? null : importance.get(e.getKey());
      views.add(new BlockView(e.getKey(), e.getValue().get(0).tower(), layers, imp, sensitivity, context));
    }
    return views;
  }

  /**
   * Each block's sparsity: what the allocator gave it, or for a split block its tensors' asked
   * sparsities weighted by their sizes.
   */
  private Map<String, Double> blockMeans(Map<String, Double> asked) {
    Map<String, Double> out = new LinkedHashMap<>();
    in.blocks().forEach((block, tensors) -> {
      Double first = asked.get(tensors.get(0).name());
      if (tensors.stream().allMatch(t -> asked.get(t.name()).equals(first))) {
        out.put(block, first);
        return;
      }
      out.put(block, BudgetPlan.weightedMean(tensors, asked));
    });
    return out;
  }

  /**
   * The decision, as a small table on stderr; a block split among its layers shows each
   * sub-layer kind's share.
   */
  private void noteAllocation(Map<String, Double> allocation, Map<String, Double> asked,
      Map<String, Double> importance) {
    StringBuilder sb = new StringBuilder("allocation:");
    for (Map.Entry<String, Double> e : allocation.entrySet()) {
      sb.append(String.format(Locale.ROOT, "%n  %-40s sparsity %.4f", e.getKey(), e.getValue()));
      if (importance != null) {
        sb.append(String.format(Locale.ROOT, "  importance %.5g", importance.get(e.getKey())));
      }
      List<PrunableTensor> tensors = in.blocks().get(e.getKey());
      if (tensors.stream().anyMatch(t -> !asked.get(t.name()).equals(e.getValue()))) {
        Map<SubLayer, List<PrunableTensor>> kinds = new TreeMap<>();
        tensors.forEach(t -> kinds.computeIfAbsent(t.subLayer(), x -> new ArrayList<>()).add(t));
        kinds.forEach((kind, part) -> sb.append(String.format(Locale.ROOT, "  %s %.4f",
            kind.name().toLowerCase(Locale.ROOT).replace('_', '-'), BudgetPlan.weightedMean(part, asked))));
      }
    }
    in.progress().note(sb.toString());
  }
}
