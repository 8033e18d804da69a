package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Gives every block the global sparsity: the reference setting of Wanda and SparseGPT. */
public final class UniformAllocator implements Allocator {
  /** Creates the allocator. */
  public UniformAllocator() {}

  @Override
  public Set<Evidence> evidence() {
    return Set.of();
  }

  @Override
  public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Block block : blocks) {
      out.put(block.name(), sparsity);
    }
    return out;
  }
}
