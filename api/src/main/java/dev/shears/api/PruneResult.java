package dev.shears.api;

import java.util.BitSet;
import java.util.Objects;

/**
 * A scorer's decision for one layer.
 *
 * @param pruned the weights to zero, by row-major index {@code row * columns + column}
 * @param updatedWeights new values for the whole layer, row-major, for scorers that change
 *     the weights they keep (SparseGPT); {@code null} when kept weights stay as they were.
 *     Pruned positions are zeroed whatever this array holds there.
 */
public record PruneResult(BitSet pruned, float[] updatedWeights) {
  /**
   * Checks the fields.
   *
   * @param pruned the weights to zero
   * @param updatedWeights new values or {@code null}
   */
  public PruneResult {
    Objects.requireNonNull(pruned, "pruned");
  }

  /**
   * A decision that only zeroes weights.
   *
   * @param pruned the weights to zero
   * @return the result
   */
  public static PruneResult maskOnly(BitSet pruned) {
    return new PruneResult(pruned, null);
  }
}
