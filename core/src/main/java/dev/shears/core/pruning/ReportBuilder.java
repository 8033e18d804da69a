package dev.shears.core.pruning;

import dev.shears.api.StrategyKind;
import dev.shears.core.Version;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SkippedTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.report.BlockReport;
import dev.shears.core.report.PruneReport;
import dev.shears.core.report.TensorReport;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The pipeline's report, built once from what the stages decided and measured: per tensor, per
 * block, the totals, the effective settings and where each strategy came from.
 */
final class ReportBuilder {
  private final StrategyRegistry registry;
  private final ModelFile model;
  private final Inventory inventory;
  private final PruneOptions options;
  private final Strategies strategies;

  ReportBuilder(StrategyRegistry registry, ModelFile model, Inventory inventory, PruneOptions options,
      Strategies strategies) {
    this.registry = registry;
    this.model = model;
    this.inventory = inventory;
    this.options = options;
    this.strategies = strategies;
  }

  /**
   * The report.
   *
   * @param engine the calibration engine, or {@code null} when none ran
   */
  PruneReport build(CoarseStage.Outcome coarse, FineStage.Outcome fine, Timings timings, StatisticsEngine engine) {
    Map<String, Double> allocation = coarse.blockSparsity();
    Map<String, Double> importance = coarse.importance();
    List<TensorReport> tensors = new ArrayList<>();
    Map<String, long[]> blockCounts = new LinkedHashMap<>();
    long total = 0;
    long pruned = 0;
    for (PrunableTensor t : inventory.prunable()) {
      FineStage.Removed r = fine.removed().get(t.name());
      tensors.add(new TensorReport(t.name(), t.block(), t.consumers().stream().map(Consumer::node).toList(),
          t.storedShape(), t.dataType().name().toLowerCase(Locale.ROOT), t.parameters(),
          coarse.askedSparsity() != null ? coarse.askedSparsity().get(t.name()) : allocation.get(t.block()),
          r.pruned(), (double) r.pruned() / t.parameters(), r.zeros()));
      long[] c = blockCounts.computeIfAbsent(t.block(), k -> new long[2]);
      c[0] += t.parameters();
      c[1] += r.pruned();
      total += t.parameters();
      pruned += r.pruned();
    }
    List<BlockReport> blocks = new ArrayList<>();
    Map<String, List<PrunableTensor>> byBlock = inventory.blocks();
    for (Map.Entry<String, long[]> e : blockCounts.entrySet()) {
      long[] c = e.getValue();
      blocks.add(new BlockReport(e.getKey(), byBlock.get(e.getKey()).get(0).tower(), c[0],
          allocation.get(e.getKey()), (double) c[1] / c[0],
          importance == null ? null : importance.get(e.getKey())));
    }
    List<Map<String, String>> skipped = new ArrayList<>();
    for (SkippedTensor s : inventory.skipped()) {
      skipped.add(s.describe());
    }
    double target = options.pattern().isUnstructured() ? options.sparsity() : options.pattern().impliedSparsity();
    Map<String, Double> seconds = timings.seconds();
    if (engine != null) {
      seconds.putAll(engine.timingsSeconds());
    }
    return new PruneReport("shears " + Version.get(), model.path().toString(), null,
        settings(coarse, engine), new PruneReport.Totals(total, pruned, (double) pruned / total, target,
            inventory.skippedInBlocks()), blocks, tensors, skipped, seconds);
  }

  /** The effective options, in the order the report lists them. */
  private Map<String, Object> settings(CoarseStage.Outcome coarse, StatisticsEngine engine) {
    Map<StrategyKind, Map<String, String>> params = strategies.params();
    LossChoice loss = coarse.loss();
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("sparsity", options.pattern().isUnstructured() ? options.sparsity()
        : options.pattern().impliedSparsity());
    settings.put("pattern", options.pattern().toString());
    settings.put("scorer", options.scorer());
    settings.put("scorerParams", params.get(StrategyKind.SCORER));
    settings.put("allocator", options.allocator());
    settings.put("allocatorParams", params.get(StrategyKind.ALLOCATOR));
    if (loss != null) {
      settings.put("loss", loss.name());
      settings.put("lossParams", params.get(StrategyKind.LOSS));
    }
    settings.put("mode", strategies.scorer().evidence().isEmpty() ? "data-free" : options.mode().label());
    settings.put("seed", options.seed());
    Map<String, Object> used = new LinkedHashMap<>();
    used.put("scorer", origin(StrategyKind.SCORER, options.scorer()));
    used.put("allocator", origin(StrategyKind.ALLOCATOR, options.allocator()));
    if (loss != null) {
      used.put("loss", origin(StrategyKind.LOSS, loss.name()));
    }
    settings.put("strategies", used);
    settings.put("pluginProblems", List.copyOf(registry.problems()));
    if (coarse.lossIncrease() != null) {
      settings.put("lossIncrease", coarse.lossIncrease());
    }
    if (engine != null) {
      settings.put("engine", engine.diagnostics());
    }
    return settings;
  }

  /** Where a strategy came from: its name, jar or folder, and version. */
  private Map<String, String> origin(StrategyKind kind, String name) {
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
}
