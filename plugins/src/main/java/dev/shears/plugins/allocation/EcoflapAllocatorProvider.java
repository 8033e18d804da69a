package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.AllocatorProvider;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ShearsApi;
import dev.shears.api.ZerothOrderSettings;
import java.util.List;

/** Registers {@link EcoflapAllocator} as {@code ecoflap}. */
public final class EcoflapAllocatorProvider implements AllocatorProvider {
  private static final ZerothOrderSettings DEFAULTS = ZerothOrderSettings.DEFAULTS;

  /** Creates the provider; the registry needs a public no-argument constructor. */
  public EcoflapAllocatorProvider() {}

  @Override
  public String name() {
    return "ecoflap";
  }

  @Override
  public String description() {
    return "per-block sparsity from zeroth-order loss sensitivity (ECoFLaP)";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of(
        ParamSpec.ofChoice(
            "aggregation", "sum", "block importance: sum over its tensors, or that per weight",
            "sum", "avg"),
        ParamSpec.ofDouble(
            "maxSparsityDelta", 0.1, "how far above the global sparsity a block may go"),
        ParamSpec.ofDouble("eps", DEFAULTS.eps(), "perturbation scale of the estimate"),
        ParamSpec.ofInt("samples", DEFAULTS.samples(), "calibration samples for the estimate"),
        ParamSpec.ofInt(
            "batchSize", DEFAULTS.batchSize(), "samples per loss evaluation; 0 = the loss's own"),
        ParamSpec.ofInt(
            "perturbations", DEFAULTS.perturbations(), "random directions per tensor and batch"));
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Allocator create(Params params) {
    double delta = params.getDouble("maxSparsityDelta");
    if (delta < 0) {
      throw new InvalidConfigurationException(
          "parameter 'allocator.maxSparsityDelta' must be >= 0, got " + delta);
    }
    ZerothOrderSettings settings;
    try {
      settings =
          new ZerothOrderSettings(
              params.getDouble("eps"),
              params.getInt("samples"),
              params.getInt("batchSize"),
              params.getInt("perturbations"));
    } catch (IllegalArgumentException e) {
      // Re-thrown as a usage error: eps > 0, samples >= 1, batchSize >= 0, perturbations >= 1.
      throw new InvalidConfigurationException(
          "allocator.eps/samples/batchSize/perturbations: " + e.getMessage());
    }
    return new EcoflapAllocator(params.getChoice("aggregation").equals("avg"), delta, settings);
  }
}
