package dev.shears.example;

import dev.shears.api.MaskSelection;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.Scorer;
import dev.shears.api.ScorerProvider;
import dev.shears.api.ShearsApi;
import java.util.List;

/**
 * Registers {@link RelativeImportanceScorer} as {@code relative-importance}.
 *
 * <p>This class is what {@code META-INF/services/dev.shears.api.ScorerProvider} names. Shears
 * instantiates it once per run just to list names, so the constructor does nothing; the
 * scorer itself is built in {@link #create(Params)} from the user's checked parameters.
 */
public final class RelativeImportanceScorerProvider implements ScorerProvider {
  static final String NAME = "relative-importance";

  /** Creates the provider; {@link java.util.ServiceLoader} needs a public no-arg constructor. */
  public RelativeImportanceScorerProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "prunes by |w| relative to its row and column sums (data-free RIA); example plugin";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of(
        ParamSpec.ofDouble(
            "columnWeight", 1.0, "weight of the column term; 0 ranks like magnitude within a row"),
        ParamSpec.ofChoice(
            "group", "per-row", "which weights compete: each output row alone, or the whole tensor",
            "per-row", "per-tensor"));
  }

  @Override
  public int apiVersion() {
    // A compile-time constant: the API version this jar was built against is baked in here.
    return ShearsApi.VERSION;
  }

  @Override
  public Scorer create(Params params) {
    double columnWeight = params.getDouble("columnWeight");
    if (columnWeight < 0) {
      // An IllegalArgumentException from create() becomes a one-line usage error.
      throw new IllegalArgumentException(
          "scorer.columnWeight must be at least 0, got " + columnWeight);
    }
    return new RelativeImportanceScorer(
        columnWeight, MaskSelection.Group.parse(params.getChoice("group")));
  }
}
