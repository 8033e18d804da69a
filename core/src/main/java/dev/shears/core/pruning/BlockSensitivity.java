package dev.shears.core.pruning;

import dev.shears.api.LayerTarget;
import dev.shears.api.SparsityPattern;
import dev.shears.core.ShearsException;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What {@link dev.shears.api.Block#lossIncrease(double)} answers (ALGORITHM.md §1c): a block's
 * tensors pruned by the run's scorer at one sparsity, from the dense model's statistics, with
 * every other weight dense; the engine measures the loss with those tensors substituted,
 * recomputing only the graph downstream of the block. Each (block, sparsity) is measured once.
 * Called by the allocator from one thread.
 */
final class BlockSensitivity {
  private final ModelFile model;
  private final Map<String, List<PrunableTensor>> blocks;
  private final Map<String, LayerStatistics> dense;
  private final Guarded.GuardedScorer scorer;
  private final StatisticsEngine.BlockLosses losses;
  private final Progress.Task bar;
  private final Map<String, TreeMap<Double, Double>> cache = new LinkedHashMap<>();
  private long nanos;
  private RuntimeException failure;

  /**
   * @param dense statistics of the dense model holding the scorer's kinds (empty for a scorer
   *     that needs none)
   * @param bar stepped once per measurement
   */
  BlockSensitivity(ModelFile model, Map<String, List<PrunableTensor>> blocks, Map<String, LayerStatistics> dense,
      Guarded.GuardedScorer scorer, StatisticsEngine.BlockLosses losses, Progress.Task bar) {
    this.model = model;
    this.blocks = blocks;
    this.dense = dense;
    this.scorer = scorer;
    this.losses = losses;
    this.bar = bar;
  }

  /** The loss increase of {@code block} pruned alone to {@code sparsity} in {@code [0, 1)}. */
  double lossIncrease(String block, double sparsity) {
    List<PrunableTensor> tensors = blocks.get(block);
    if (tensors == null) {
      throw new IllegalArgumentException("unknown block " + block);
    }
    if (sparsity == 0) {
      return 0;
    }
    Double known = cache.computeIfAbsent(block, b -> new TreeMap<>()).get(sparsity);
    if (known != null) {
      return known;
    }
    long start = System.nanoTime();
    try {
      LayerTarget target = new LayerTarget(sparsity, SparsityPattern.unstructured());
      Map<String, ByteBuffer> replaced = new ConcurrentHashMap<>();
      // tensors are independent: prune them on all cores, as the fine stage does
      TensorPruning.inParallel(tensors, t -> {
        TensorPruning.Pruned p = TensorPruning.prune(model, t, dense.get(t.name()), scorer, target);
        replaced.put(t.name(), WeightCodec.storedBytes(t, p.values()));
      });
      double increase = losses.lossIncrease(block, replaced);
      if (!Double.isFinite(increase)) {
        throw new ShearsException(String.format(Locale.ROOT,
            "the calibration loss is not finite (%s) with block %s pruned alone to %.4f by scorer '%s'",
            increase, block, sparsity, scorer.who().name()));
      }
      cache.get(block).put(sparsity, increase);
      bar.step();
      return increase;
    } catch (RuntimeException e) {
      if (failure == null) {
        failure = e;
      }
      throw e;
    } finally {
      nanos += System.nanoTime() - start;
    }
  }

  /**
   * The first failure of a measurement, or null: the pipeline reports it as it is rather than
   * as the allocator's, which only called the block view.
   */
  RuntimeException failure() {
    return failure;
  }

  /** Wall time spent measuring, in nanoseconds. */
  long nanos() {
    return nanos;
  }

  /** Every measurement: block to sparsity to loss increase, blocks in measuring order. */
  Map<String, Map<Double, Double>> measured() {
    Map<String, Map<Double, Double>> out = new LinkedHashMap<>();
    cache.forEach((b, m) -> out.put(b, new TreeMap<>(m)));
    return out;
  }
}
