package dev.shears.plugins.scoring;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ParamSpec;
import dev.shears.api.MaskSelection;
import dev.shears.api.Params;
import dev.shears.api.Scorer;
import dev.shears.api.ScorerProvider;
import dev.shears.api.ShearsApi;
import java.util.List;

/** Registers {@link SparseGptScorer} as {@code sparsegpt}. */
public final class SparseGptScorerProvider implements ScorerProvider {
  /** Creates the provider; the registry needs a public no-argument constructor. */
  public SparseGptScorerProvider() {}

  @Override
  public String name() {
    return "sparsegpt";
  }

  @Override
  public String description() {
    return "prunes with second-order error compensation of the kept weights (SparseGPT)";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of(
        MaskSelection.Group.PARAM,
        ParamSpec.ofInt("blockSize", 128, "columns pruned together before the lazy update"),
        ParamSpec.ofDouble("dampening", 0.01, "fraction of mean diag(H) added to the diagonal"),
        ParamSpec.ofInt("refit", 10, "conjugate-gradient steps refitting kept weights; 0 = the paper's"),
        ParamSpec.ofInt("measurementRefit", 0, "refit steps when an allocator measures block losses"));
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Scorer create(Params params) {
    int blockSize = params.getInt("blockSize");
    if (blockSize < 1) {
      throw new InvalidConfigurationException(
          "parameter 'scorer.blockSize' must be >= 1, got " + blockSize);
    }
    double dampening = params.getDouble("dampening");
    if (dampening < 0) {
      throw new InvalidConfigurationException(
          "parameter 'scorer.dampening' must be >= 0, got " + dampening);
    }
    int refit = nonNegative(params, "refit");
    int measurementRefit = nonNegative(params, "measurementRefit");
    return new SparseGptScorer(MaskSelection.Group.from(params), blockSize, dampening, refit, measurementRefit);
  }

  private static int nonNegative(Params params, String name) {
    int value = params.getInt(name);
    if (value < 0) {
      throw new InvalidConfigurationException("parameter 'scorer." + name + "' must be >= 0, got " + value);
    }
    return value;
  }
}
