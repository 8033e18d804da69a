package dev.shears.core.pruning;

import dev.shears.api.Evidence;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.BlockStages;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.progress.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fine stage: the scorer prunes every tensor to the coarse stage's target, and each tensor's
 * new values go to a store as soon as they exist. One-shot, all tensors read the dense model's
 * statistics; sequential, stage by stage, each stage's statistics come from the model whose
 * earlier stages are already pruned.
 */
final class FineStage {
  private final StageInputs in;

  FineStage(StageInputs in) {
    this.in = in;
  }

  /**
   * What one tensor lost.
   *
   * @param pruned weights the scorer pruned
   * @param zeros weights that are zero afterwards (pruned, or zero before)
   */
  record Removed(long pruned, long zeros) {}

  /**
   * The stage's result.
   *
   * @param pruned the new values of every prunable tensor (stored layout and type), by name
   * @param removed what each tensor lost, by name
   */
  record Outcome(TensorStore pruned, Map<String, Removed> removed) {}

  /**
   * Runs the stage; on failure the store it filled is closed.
   *
   * @param engine the calibration engine, or {@code null} when the scorer reads no statistics
   */
  Outcome run(StatisticsEngine engine, CoarseStage.Outcome coarse) {
    TensorStore store = new TensorStore();
    Map<String, Removed> removed = new ConcurrentHashMap<>();
    try {
      Set<Evidence> scorerStats = in.strategies().scorer().evidence();
      if (scorerStats.isEmpty() || in.options().mode() == Mode.ONE_SHOT) {
        oneShot(engine, coarse, scorerStats, store, removed);
      } else {
        sequential(engine, coarse, scorerStats, store, removed);
      }
      return new Outcome(store, removed);
    } catch (RuntimeException | Error e) {
      store.close();
      throw e;
    }
  }

  private void oneShot(StatisticsEngine engine, CoarseStage.Outcome coarse, Set<Evidence> scorerStats,
      TensorStore store, Map<String, Removed> removed) {
    // one-shot statistics are the dense model's: those taken for the coarse stage serve
    Map<String, LayerStatistics> stats = scorerStats.isEmpty() ? Map.of()
        : coarse.denseStatistics() != null ? coarse.denseStatistics()
        : in.timings().time("statistics", () -> engine.oneShot(in.prunable(), scorerStats));
    try (Progress.Task bar = in.progress().start("Pruning", in.prunable().size())) {
      in.timings().time("scoring and masking", () -> {
        // tensors are independent: score them on all cores (each scorer is thread-safe)
        TensorPruning.inParallel(in.prunable(), t -> {
          pruneInto(t, stats.get(t.name()), coarse, store, removed);
          synchronized (bar) {
            bar.step();
          }
        });
        return null;
      });
    }
  }

  /**
   * Stage by stage. The carry from one stage to the next is {@code store}: the engine reads the
   * values already pruned there when it computes a later stage's inputs. Blocks that do not
   * depend on each other (the towers of a CLIP model) share a stage; one progress bar per
   * stage's statistics pass, as scoring a stage is quick by comparison.
   */
  private void sequential(StatisticsEngine engine, CoarseStage.Outcome coarse, Set<Evidence> scorerStats,
      TensorStore store, Map<String, Removed> removed) {
    List<List<PrunableTensor>> stages = new ArrayList<>();
    for (List<String> stage : BlockStages.of(in.model().proto().getGraph(), in.blocks())) {
      List<PrunableTensor> tensors = new ArrayList<>();
      stage.forEach(b -> tensors.addAll(in.blocks().get(b)));
      stages.add(tensors);
    }
    try (StatisticsEngine.SequentialPass pass = engine.sequential(scorerStats, store, stages)) {
      for (List<PrunableTensor> tensors : stages) {
        Map<String, LayerStatistics> stats = in.timings().time("statistics", () -> pass.statistics(tensors));
        in.timings().time("scoring and masking", () -> {
          TensorPruning.inParallel(tensors, t -> pruneInto(t, stats.get(t.name()), coarse, store, removed));
          return null;
        });
      }
    }
  }

  /** Prunes one tensor, stores its new values and counts what it lost. */
  private void pruneInto(PrunableTensor t, LayerStatistics stats, CoarseStage.Outcome coarse, TensorStore store,
      Map<String, Removed> removed) {
    TensorPruning.Pruned p = TensorPruning.prune(in.model(), t, stats, in.strategies().scorer(),
        coarse.target(t, in.options().pattern()));
    store.put(t.name(), WeightCodec.storedBytes(t, p.values()));
    removed.put(t.name(), new Removed(p.pruned(), p.zeros()));
  }
}
