package dev.shears.core.report;

import dev.shears.core.evaluation.Fidelity;
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
 * @param environment where it ran: versions of Shears, ONNX Runtime and Java, the device, the
 *     seed ({@link RunEnvironment}); {@code null} until {@link #withEnvironment} is called
 * @param fidelity the output model against the input on a calibration batch (from {@code
 *     --verify}), per output; {@code null} when not measured
 * @param search the strategy search that chose the settings ({@code --strategy auto}): the
 *     candidates with their held-out losses and times, the winner, the cost; {@code null} (and
 *     left out of the JSON) for a plain prune
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
    Map<String, Double> timingsSeconds,
    Map<String, Object> environment,
    Map<String, Fidelity.OutputFidelity> fidelity,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    Map<String, Object> search) {

  /** Keys of a skipped entry, in the order the report lists them. */
  private static final List<String> SKIPPED_KEYS = List.of("name", "node", "reason");

  public PruneReport {
    if (skipped != null) {
      skipped = skipped.stream().map(PruneReport::ordered).toList();
    }
  }

  /**
   * A skipped entry with its keys in a fixed order (name, node, reason, then any others sorted),
   * so that the report is the same on every run: {@code Map.of} iterates in an order that changes
   * from one JVM to the next.
   */
  private static Map<String, String> ordered(Map<String, String> entry) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String k : SKIPPED_KEYS) {
      if (entry.containsKey(k)) {
        m.put(k, entry.get(k));
      }
    }
    new java.util.TreeMap<>(entry).forEach(m::putIfAbsent);
    return java.util.Collections.unmodifiableMap(m);
  }

  /** A report without environment and fidelity (the pipeline's view). */
  public PruneReport(String tool, String input, String output, Map<String, Object> settings,
      Totals totals, List<BlockReport> blocks, List<TensorReport> tensors,
      List<Map<String, String>> skipped, Map<String, Double> timingsSeconds) {
    this(tool, input, output, settings, totals, blocks, tensors, skipped, timingsSeconds, null, null, null);
  }

  /**
   * Whole-model figures.
   *
   * @param prunableParameters weights in all prunable tensors
   * @param pruned weights removed
   * @param sparsity {@code pruned / prunableParameters}
   * @param targetSparsity what the user asked for
   * @param skippedInBlocks weights of linear operators inside the blocks that were skipped
   *     (quantized, packed in an unsupported way, read by other operators): the summary's
   *     sparsity over all linear weights in the blocks counts them as kept
   */
  public record Totals(long prunableParameters, long pruned, double sparsity, double targetSparsity,
      long skippedInBlocks) {
    /** Totals with nothing skipped inside the blocks. */
    public Totals(long prunableParameters, long pruned, double sparsity, double targetSparsity) {
      this(prunableParameters, pruned, sparsity, targetSparsity, 0);
    }

    /** Pruned weights over every linear weight in the blocks, skipped ones included. */
    public double sparsityOfBlockLinearWeights() {
      long all = prunableParameters + skippedInBlocks;
      return all == 0 ? 0 : (double) pruned / all;
    }
  }

  public PruneReport withOutput(String path) {
    return new PruneReport(tool, input, path, settings, totals, blocks, tensors, skipped, timingsSeconds,
        environment, fidelity, search);
  }

  public PruneReport withEnvironment(Map<String, Object> env) {
    return new PruneReport(tool, input, output, settings, totals, blocks, tensors, skipped, timingsSeconds,
        env, fidelity, search);
  }

  public PruneReport withFidelity(Map<String, Fidelity.OutputFidelity> measured) {
    return new PruneReport(tool, input, output, settings, totals, blocks, tensors, skipped, timingsSeconds,
        environment, measured, search);
  }

  public PruneReport withSearch(Map<String, Object> measured) {
    return new PruneReport(tool, input, output, settings, totals, blocks, tensors, skipped, timingsSeconds,
        environment, fidelity, measured);
  }
}
