package dev.shears.core.pruning;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.StrategyKind;
import dev.shears.core.ShearsException;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One prune run, as data flows (ARCHITECTURE.md): the strategies resolved and checked
 * ({@link Strategies}), the coarse stage (the allocator decides each block's sparsity, {@link
 * CoarseStage}), the fine stage (the scorer decides each tensor's pruned weights, {@link
 * FineStage}), giving a new model in which only the pruned initializers changed, and a report
 * ({@link ReportBuilder}).
 */
public final class PruningPipeline {
  private final StrategyRegistry registry;
  private final Progress progress;

  public PruningPipeline(StrategyRegistry registry, Progress progress) {
    this.registry = registry;
    this.progress = progress;
  }

  /**
   * The result of a run.
   *
   * @param pruned the new values of the pruned tensors (stored layout and type), by name
   * @param report what was decided and measured
   * @param device where the forward passes ran, or {@code null} when none ran (data-free)
   */
  public record Result(TensorStore pruned, PruneReport report, String device) implements AutoCloseable {
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
   * Runs the pipeline: strategies resolved and checked, coarse stage, fine stage, report.
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
    Strategies strategies = Strategies.resolve(registry, model, options);
    Timings timings = new Timings();
    Map<String, List<PrunableTensor>> blocks = inventory.blocks();
    List<PrunableTensor> prunable = inventory.prunable();
    StatisticsEngine engine = strategies.needsData() ? engines.get() : null;
    try {
      StageInputs in = new StageInputs(model, blocks, prunable, options, strategies, timings, progress);
      CoarseStage.Outcome coarse = new CoarseStage(in).run(engine, () -> LossChoice.of(registry, model,
          options.loss(), strategies.params().get(StrategyKind.LOSS), progress));
      FineStage.Outcome fine = new FineStage(in).run(engine, coarse);
      try {
        PruneReport report = new ReportBuilder(registry, model, inventory, options, strategies)
            .build(coarse, fine, timings, engine);
        return new Result(fine.pruned(), report, engine == null ? null : engine.device());
      } catch (RuntimeException | Error e) {
        fine.pruned().close();
        throw e;
      }
    } finally {
      if (engine != null) {
        engine.close();
      }
    }
  }
}
