package dev.shears.core.pruning;

import dev.shears.api.Allocator;
import dev.shears.api.AllocatorProvider;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ShearsApi;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A third-party-style allocator for tests: alternates {@code s - 0.1} and {@code s + 0.1}
 * over the blocks (which keeps the budget only for an even number of equal blocks), and with
 * {@code off=true} asks for {@code s - 0.05} everywhere, breaking the budget.
 */
public final class UnevenAllocatorProvider implements AllocatorProvider {
  @Override
  public String name() {
    return "test-uneven";
  }

  @Override
  public String description() {
    return "test only: alternating sparsities around the target";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of(ParamSpec.ofBoolean("off", false, "break the budget"));
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Allocator create(Params params) {
    boolean off = params.getBoolean("off");
    return new Allocator() {
      @Override
      public Set<Evidence> evidence() {
        return Set.of();
      }

      @Override
      public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < blocks.size(); i++) {
          out.put(blocks.get(i).name(), off ? sparsity - 0.05 : sparsity + (i % 2 == 0 ? -0.1 : 0.1));
        }
        return out;
      }
    };
  }
}
