package dev.shears.plugins.scoring;

import dev.shears.api.ParamSpec;
import dev.shears.api.MaskSelection;
import dev.shears.api.Params;
import dev.shears.api.Scorer;
import dev.shears.api.ScorerProvider;
import dev.shears.api.ShearsApi;
import java.util.List;

/** Registers {@link WandaScorer} as {@code wanda}. */
public final class WandaScorerProvider implements ScorerProvider {
  /** Creates the provider; the registry needs a public no-argument constructor. */
  public WandaScorerProvider() {}

  @Override
  public String name() {
    return "wanda";
  }

  @Override
  public String description() {
    return "prunes by |weight| x input activation norm (Wanda); one calibration pass";
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
    return new WandaScorer(MaskSelection.Group.from(params));
  }
}
