package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ZerothOrderSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ECoFLaP's coarse stage (Sung et al. 2024, ALGORITHM.md §1b): blocks with higher zeroth-order
 * importance keep more weights, no block is sparser than {@code s + maxSparsityDelta}, and the
 * model as a whole keeps exactly {@code floor(P (1 - s))} weights.
 *
 * <p>When the importances carry no usable information (all zero, or any of them NaN,
 * infinite or negative) the split falls back to block size, which gives every block about
 * the global sparsity. The integer work is done by {@link KeepBudget}.
 */
public final class EcoflapAllocator implements Allocator {
  private final boolean average;
  private final double maxSparsityDelta;
  private final ZerothOrderSettings zerothOrder;

  /**
   * Creates the allocator.
   *
   * @param average whether a block's importance is divided by its parameter count
   * @param maxSparsityDelta how far above the global sparsity a block may go, non-negative
   * @param zerothOrder how the engine should estimate importance
   */
  public EcoflapAllocator(
      boolean average, double maxSparsityDelta, ZerothOrderSettings zerothOrder) {
    if (!(maxSparsityDelta >= 0)) {
      throw new IllegalArgumentException("maxSparsityDelta must be >= 0: " + maxSparsityDelta);
    }
    this.average = average;
    this.maxSparsityDelta = maxSparsityDelta;
    this.zerothOrder = zerothOrder;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of(Evidence.ZEROTH_ORDER_IMPORTANCE);
  }

  @Override
  public ZerothOrderSettings zerothOrder() {
    return zerothOrder;
  }

  @Override
  public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
    long[] sizes = new long[blocks.size()];
    double[] importance = new double[blocks.size()];
    for (int i = 0; i < sizes.length; i++) {
      Block block = blocks.get(i);
      sizes[i] = block.parameterCount();
      importance[i] = average ? block.importance() / sizes[i] : block.importance();
    }
    long[] keep = KeepBudget.allocate(sizes, importance, sparsity, maxSparsityDelta);
    Map<String, Double> out = new LinkedHashMap<>();
    for (int i = 0; i < sizes.length; i++) {
      if (keep[i] == 0) {
        throw new InvalidConfigurationException(
            "sparsity " + sparsity + " keeps fewer weights than there are blocks ("
                + sizes.length + "); lower --sparsity");
      }
      out.put(blocks.get(i).name(), 1.0 - (double) keep[i] / sizes[i]);
    }
    return out;
  }
}
