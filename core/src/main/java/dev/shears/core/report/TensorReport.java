package dev.shears.core.report;

import java.util.List;

/**
 * One pruned tensor in the report.
 *
 * @param name the initializer
 * @param block its block
 * @param nodes the consuming nodes
 * @param shape the stored dims
 * @param dtype the element type
 * @param parameters number of weights
 * @param targetSparsity what the allocator asked for
 * @param pruned weights the scorer removed
 * @param achievedSparsity {@code pruned / parameters}
 * @param zeros zero weights in the output (pruned plus any that were zero already)
 * @param scores a summary of the scorer's scores for this tensor, or {@code null} when the
 *     pipeline did not record them (to be filled by the pipeline: see {@link ScoreSummary})
 */
public record TensorReport(
    String name,
    String block,
    List<String> nodes,
    long[] shape,
    String dtype,
    long parameters,
    double targetSparsity,
    long pruned,
    double achievedSparsity,
    long zeros,
    ScoreSummary scores) {

  /** A tensor report without a score summary. */
  public TensorReport(String name, String block, List<String> nodes, long[] shape, String dtype,
      long parameters, double targetSparsity, long pruned, double achievedSparsity, long zeros) {
    this(name, block, nodes, shape, dtype, parameters, targetSparsity, pruned, achievedSparsity, zeros, null);
  }
}
