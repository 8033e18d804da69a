package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.AllocatorProvider;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ShearsApi;
import java.util.List;

/** Registers {@link OwlAllocator} as {@code owl}. */
public final class OwlAllocatorProvider implements AllocatorProvider {
  /** Creates the provider; the registry needs a public no-argument constructor. */
  public OwlAllocatorProvider() {}

  @Override
  public String name() {
    return "owl";
  }

  @Override
  public String description() {
    return "blocks with more outlier activations get lower sparsity (OWL)";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of(
        ParamSpec.ofDouble("outlierThreshold", 5.0, "M: a score above M x mean is an outlier"),
        ParamSpec.ofDouble("lambda", 0.08, "block sparsities spread over at most 2 x lambda"));
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Allocator create(Params params) {
    double lambda = params.getDouble("lambda");
    if (lambda < 0) {
      throw new InvalidConfigurationException(
          "parameter 'allocator.lambda' must be >= 0, got " + lambda);
    }
    return new OwlAllocator(params.getDouble("outlierThreshold"), lambda);
  }
}
