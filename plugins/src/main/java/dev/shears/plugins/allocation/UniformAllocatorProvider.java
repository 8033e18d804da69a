package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.AllocatorProvider;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ShearsApi;
import java.util.List;

/** Registers {@link UniformAllocator} as {@code uniform}. */
public final class UniformAllocatorProvider implements AllocatorProvider {
  /** Creates the provider; the registry needs a public no-argument constructor. */
  public UniformAllocatorProvider() {}

  @Override
  public String name() {
    return "uniform";
  }

  @Override
  public String description() {
    return "every block gets the global sparsity";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of();
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Allocator create(Params params) {
    return new UniformAllocator();
  }
}
