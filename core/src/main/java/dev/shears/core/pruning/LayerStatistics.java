package dev.shears.core.pruning;

/**
 * What calibration measured at one prunable tensor's input, summed over every consumer.
 *
 * @param squareSums per input feature, the sum of squares over all tokens; or {@code null}
 * @param gram the input Gram matrix XᵀX, row-major; or {@code null}
 * @param tokens the number of tokens (rows of X) summed over
 */
public record LayerStatistics(double[] squareSums, double[] gram, long tokens) {}
