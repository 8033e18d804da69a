package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.AllocatorProvider;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ShearsApi;
import dev.shears.api.ZerothOrderSettings;
import java.util.List;

/** Registers {@link SensitivityAllocator} as {@code sensitivity}. */
public final class SensitivityAllocatorProvider implements AllocatorProvider {
  /**
   * Samples the losses are measured on by default: the calibration set's default size. On
   * tinyclip-shapes, 32 (the zeroth-order default) left many increases at 50–70% as noise below 0.
   */
  static final int SAMPLES = 128;
  /** Measured: README, "Choosing the defaults". */
  static final double DOWN_PROJECTION_SHIFT = 0.05;

  /** Creates the provider; the registry needs a public no-argument constructor. */
  public SensitivityAllocatorProvider() {}

  @Override
  public String name() {
    return "sensitivity";
  }

  @Override
  public String description() {
    return "per-block sparsity from measured loss: each block pruned alone by the scorer at s+grid, "
        + "dL_g(s_g) made convex and increasing, min sum dL_g s.t. sum N_g s_g = s P";
  }

  @Override
  public List<ParamSpec> parameters() {
    ZerothOrderSettings d = ZerothOrderSettings.DEFAULTS;
    return List.of(
        ParamSpec.ofString("grid", "-0.1,-0.05,0,0.05,0.1",
            "measured sparsities, as offsets from the target (clipped to [0, 0.99])"),
        ParamSpec.ofDouble("maxSparsityDelta", 1.0, 0, Double.POSITIVE_INFINITY,
            "how far above the global sparsity a block may go (1: only the grid limits it)"),
        ParamSpec.ofDouble("downProjectionShift", DOWN_PROJECTION_SHIFT, 0, 0.99,
            "every layer but the MLP down-projections this much less sparse than its block; they take the rest"),
        ParamSpec.ofInt("samples", SAMPLES, "calibration samples the losses are measured on"),
        ParamSpec.ofInt("batchSize", d.batchSize(), "samples per loss evaluation; 0 = the loss's own"));
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Allocator create(Params params) {
    String[] parts = params.getString("grid").split(",");
    double[] offsets = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        offsets[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new InvalidConfigurationException("parameter 'allocator.grid' must be numbers separated by commas,"
            + " got '" + params.getString("grid") + "'");
      }
      if (!(Math.abs(offsets[i]) < 1)) {
        throw new InvalidConfigurationException("parameter 'allocator.grid': offsets lie in (-1, 1), got "
            + parts[i].trim());
      }
    }
    ZerothOrderSettings batches;
    try {
      batches = new ZerothOrderSettings(ZerothOrderSettings.DEFAULTS.eps(), params.getInt("samples"),
          params.getInt("batchSize"), 1);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException("allocator.samples/batchSize: " + e.getMessage());
    }
    return new SensitivityAllocator(offsets, params.getDouble("maxSparsityDelta"),
        params.getDouble("downProjectionShift"), batches);
  }
}
