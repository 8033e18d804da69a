package dev.shears.core.pruning;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.TensorStore;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the pipeline gets calibration evidence from. The ONNX Runtime implementation lives
 * in {@code calibration}; the pipeline only sees this interface, so it never talks to the
 * runtime itself.
 */
public interface StatisticsEngine extends AutoCloseable {

  /** Statistics of every given tensor, from the dense model in one pass over the data. */
  Map<String, LayerStatistics> oneShot(List<PrunableTensor> tensors, Set<Evidence> kinds);

  /**
   * Starts a sequential pass: blocks are handed in data-flow order, alone or as a stage of
   * blocks that do not depend on each other (see {@link dev.shears.core.graph.BlockStages}),
   * and each block's statistics are taken on inputs that passed through the already-pruned
   * earlier blocks, whose new values the pass reads from {@code prunedWeights} (stored
   * layout and type) as the caller puts them there.
   */
  SequentialPass sequential(Set<Evidence> kinds, TensorStore prunedWeights);

  /** Zeroth-order importance per block name (ALGORITHM.md §1a), measured on {@code loss}. */
  Map<String, Double> blockImportance(
      Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings, CalibrationLoss loss, long seed);

  /** What the engine measured about its own work (device, query counts, costs), for the report. */
  default Map<String, Object> diagnostics() {
    return Map.of();
  }

  /**
   * How stages split, in seconds, keyed {@code STAGE / PART} (for example
   * {@code statistics / passes}); the pipeline adds them to the report's timings.
   */
  default Map<String, Double> timingsSeconds() {
    return Map.of();
  }

  @Override
  void close();

  /** One sequential pass over the blocks. */
  interface SequentialPass extends AutoCloseable {
    /**
     * Statistics of the tensors of one block, or of one stage of independent blocks, given
     * the pruned weights of every earlier block.
     */
    Map<String, LayerStatistics> statistics(List<PrunableTensor> block);

    @Override
    void close();
  }
}
