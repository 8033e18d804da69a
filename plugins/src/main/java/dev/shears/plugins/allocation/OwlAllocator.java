package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OWL, outlier-weighted layerwise sparsity (Yin et al. 2024, ALGORITHM.md §1c): blocks with a
 * larger share of outlier Wanda scores get lower sparsity. The outlier percentages {@code D}
 * are rescaled to {@code [0, 2λ]}, centred, and added to the target density {@code 1 - s}.
 * The reference centres over blocks, which keeps the global budget only when blocks are
 * equally large; here the mean is weighted by block size, which gives the same numbers for
 * equal blocks and keeps the budget for towers of different widths.
 */
public final class OwlAllocator implements Allocator {
  /** The largest sparsity a block may get: a layer must keep something. */
  private static final double MAX_SPARSITY = Math.nextDown(1.0);

  private final double outlierThreshold;
  private final double lambda;

  /**
   * Creates the allocator.
   *
   * @param outlierThreshold {@code M}: outliers are scores above {@code M × mean}
   * @param lambda {@code λ}: block sparsities spread over at most {@code 2λ}
   */
  public OwlAllocator(double outlierThreshold, double lambda) {
    this.outlierThreshold = outlierThreshold;
    this.lambda = lambda;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of(Evidence.ACTIVATION_NORMS);
  }

  @Override
  public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
    int g = blocks.size();
    double[] ratio = new double[g];
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < g; i++) {
      ratio[i] = OutlierRatio.of(blocks.get(i), outlierThreshold);
      min = Math.min(min, ratio[i]);
      max = Math.max(max, ratio[i]);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    if (!(max > min)) {
      // No spread to normalise (one block, or identical ratios): OWL degenerates to uniform.
      for (Block block : blocks) {
        out.put(block.name(), sparsity);
      }
      return out;
    }
    double[] scaled = new double[g];
    double weighted = 0;
    long total = 0;
    for (int i = 0; i < g; i++) {
      scaled[i] = (ratio[i] - min) / (max - min) * 2 * lambda;
      long size = blocks.get(i).parameterCount();
      weighted += scaled[i] * size;
      total += size;
    }
    double mean = weighted / total;
    for (int i = 0; i < g; i++) {
      double density = scaled[i] - mean + (1 - sparsity);
      double s = Math.max(0.0, Math.min(MAX_SPARSITY, 1 - density));
      out.put(blocks.get(i).name(), s);
    }
    return out;
  }
}
