package dev.shears.core.report;

import java.util.List;
import java.util.Map;

/**
 * Everything a prune run decided and measured, written with {@code --report}.
 *
 * @param tool "shears" and its version
 * @param input the model read
 * @param output the model written (null until written)
 * @param settings the effective options: strategies, their parameters, sparsity, pattern, mode, seed
 * @param totals parameter counts and overall sparsity
 * @param blocks per block
 * @param tensors per tensor
 * @param skipped tensors not pruned, with reasons
 * @param timingsSeconds wall time per stage
 */
public record PruneReport(
    String tool,
    String input,
    String output,
    Map<String, Object> settings,
    Totals totals,
    List<BlockReport> blocks,
    List<TensorReport> tensors,
    List<Map<String, String>> skipped,
    Map<String, Double> timingsSeconds) {

  /**
   * Whole-model figures.
   *
   * @param prunableParameters weights in all prunable tensors
   * @param pruned weights removed
   * @param sparsity {@code pruned / prunableParameters}
   * @param targetSparsity what the user asked for
   */
  public record Totals(long prunableParameters, long pruned, double sparsity, double targetSparsity) {}

  public PruneReport withOutput(String path) {
    return new PruneReport(tool, input, path, settings, totals, blocks, tensors, skipped, timingsSeconds);
  }
}
