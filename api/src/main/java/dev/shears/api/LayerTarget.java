package dev.shears.api;

/**
 * What the fine stage must achieve in one layer.
 *
 * @param sparsity the fraction of weights to remove, in {@code [0, 1)}
 * @param pattern the allowed shape of sparsity
 */
public record LayerTarget(double sparsity, SparsityPattern pattern) {
  /**
   * Checks the fields.
   *
   * @param sparsity the fraction of weights to remove
   * @param pattern the allowed shape of sparsity
   */
  public LayerTarget {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1): " + sparsity);
    }
    java.util.Objects.requireNonNull(pattern, "pattern");
  }
}
