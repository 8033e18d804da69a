package dev.shears.core.evidence;

/**
 * What calibration measured at one prunable tensor's input, summed over every consumer.
 *
 * @param squareSums per input feature, the sum of squares over all tokens; or {@code null}
 * @param gram the input Gram matrix XᵀX, row-major; or {@code null}
 * @param tokens the number of tokens (rows of X) summed over
 * @param absSums per input feature, the sum of |x| over all tokens; or {@code null}
 * @param absMax per input feature, the largest |x| over all tokens; or {@code null}
 */
public record LayerStatistics(double[] squareSums, double[] gram, long tokens, double[] absSums, double[] absMax) {

  /** Statistics without the absolute-value reductions. */
  public LayerStatistics(double[] squareSums, double[] gram, long tokens) {
    this(squareSums, gram, tokens, null, null);
  }
}
