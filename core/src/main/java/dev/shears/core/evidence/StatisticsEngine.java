package dev.shears.core.evidence;

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
   * Starts a sequential pass over {@code stages}: the tensors of one block, or of blocks that
   * do not depend on each other (see {@link dev.shears.core.graph.BlockStages}), in data-flow
   * order. Each stage's statistics are taken on inputs that passed through the already-pruned
   * earlier stages, whose new values the pass reads from {@code prunedWeights} (stored layout
   * and type) as the caller puts them there.
   */
  SequentialPass sequential(Set<Evidence> kinds, TensorStore prunedWeights, List<List<PrunableTensor>> stages);

  /** Zeroth-order importance per block name (ALGORITHM.md §1a), measured on {@code loss}. */
  Map<String, Double> blockImportance(
      Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings, CalibrationLoss loss, long seed);

  /**
   * Opens loss measurements with one block's weights replaced (ALGORITHM.md §1c), on the
   * batches {@link #blockImportance} would use for the same settings, loss and seed: one dense
   * pass now, then each measurement recomputes only the graph downstream of the block.
   *
   * @throws UnsupportedOperationException from an engine that cannot measure losses
   */
  default BlockLosses blockLosses(
      Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings, CalibrationLoss loss, long seed) {
    throw new UnsupportedOperationException("this statistics engine cannot measure pruned losses");
  }

  /** What the engine measured about its own work (device, query counts, costs), for the report. */
  default Map<String, Object> diagnostics() {
    return Map.of();
  }

  /** Where the forward passes run ({@code cpu}, {@code cuda:0}), for the report's environment. */
  String device();

  /**
   * How stages split, in seconds, keyed {@code STAGE / PART} (for example
   * {@code statistics / passes}); the pipeline adds them to the report's timings.
   */
  default Map<String, Double> timingsSeconds() {
    return Map.of();
  }

  /** The number of calibration samples the engine reads. */
  default int sampleCount() {
    throw new UnsupportedOperationException("this statistics engine cannot be split for a held-out search");
  }

  /**
   * Splits the calibration set for a strategy search: an engine over the first samples, all but
   * the last {@code heldOut}, to prune with, and {@code loss} on the last {@code heldOut}
   * samples to score the results with. Both are closed by the caller; this engine is not used
   * afterwards.
   *
   * @param seed the seed of the mismatched pairs a pair loss builds
   */
  default HeldOutSplit holdOut(int heldOut, dev.shears.api.CalibrationLoss loss, long seed) {
    return holdOut(heldOut, false, loss, seed);
  }

  /**
   * As {@link #holdOut(int, dev.shears.api.CalibrationLoss, long)}; with {@code pruneWithAll}
   * the engine to prune with covers every sample, the scored ones too.
   */
  default HeldOutSplit holdOut(int heldOut, boolean pruneWithAll, dev.shears.api.CalibrationLoss loss, long seed) {
    throw new UnsupportedOperationException("this statistics engine cannot be split for a held-out search");
  }

  /**
   * An engine over the samples to prune with, and the loss on the held-out ones.
   *
   * @param fit the engine over the first samples
   * @param heldOut the loss on the last samples
   */
  record HeldOutSplit(StatisticsEngine fit, HeldOutLoss heldOut) {}

  @Override
  void close();

  /** Loss measurements with one block's weights replaced; see {@link #blockLosses}. */
  interface BlockLosses extends AutoCloseable {
    /**
     * The mean over the batches of the loss with {@code block}'s tensors named in
     * {@code replaced} taking the given values (stored layout and element type, as in a
     * {@link TensorStore}), every other weight dense, minus the dense model's loss on the same
     * batch. A block that reaches no model output gives 0.
     */
    double lossIncrease(String block, Map<String, java.nio.ByteBuffer> replaced);

    @Override
    void close();
  }

  /** One sequential pass over the blocks. */
  interface SequentialPass extends AutoCloseable {
    /**
     * Statistics of the next stage's tensors (exactly the next list given at the start), given
     * the pruned weights of every earlier stage.
     */
    Map<String, LayerStatistics> statistics(List<PrunableTensor> block);

    @Override
    void close();
  }
}
