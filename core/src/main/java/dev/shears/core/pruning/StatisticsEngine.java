package dev.shears.core.pruning;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.graph.PrunableTensor;
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
   * Starts a sequential pass: blocks are handed in data-flow order, and each block's
   * statistics are taken on inputs that passed through the already-pruned earlier blocks.
   */
  SequentialPass sequential(Set<Evidence> kinds);

  /** Zeroth-order importance per block name (ALGORITHM.md §1a), measured on {@code loss}. */
  Map<String, Double> blockImportance(
      Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings, CalibrationLoss loss, long seed);

  /** What the engine measured about its own work (device, query counts, costs), for the report. */
  default Map<String, Object> diagnostics() {
    return Map.of();
  }

  @Override
  void close();

  /** One sequential pass over the blocks. */
  interface SequentialPass extends AutoCloseable {
    /** Statistics of one block's tensors, given every earlier block's pruned weights. */
    Map<String, LayerStatistics> statistics(List<PrunableTensor> block);

    /** The block's pruned weights (row-major views), for the blocks after it. */
    void pruned(Map<PrunableTensor, float[]> weights);

    @Override
    void close();
  }
}
