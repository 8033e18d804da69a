package dev.shears.plugins.scoring;

import dev.shears.api.ParamSpec;
import dev.shears.api.MaskSelection;
import dev.shears.api.Params;
import dev.shears.api.Scorer;
import dev.shears.api.ScorerProvider;
import dev.shears.api.ShearsApi;
import java.util.List;

/** Registers {@link MagnitudeScorer} as {@code magnitude}. */
public final class MagnitudeScorerProvider implements ScorerProvider {
  /** Creates the provider; the registry needs a public no-argument constructor. */
  public MagnitudeScorerProvider() {}

  @Override
  public String name() {
    return "magnitude";
  }

  @Override
  public String description() {
    return "prunes the weights of smallest absolute value; needs no calibration data";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of(MaskSelection.Group.PARAM);
  }

  @Override
  public int apiVersion() {
    return ShearsApi.VERSION;
  }

  @Override
  public Scorer create(Params params) {
    return new MagnitudeScorer(MaskSelection.Group.from(params));
  }
}
