package dev.shears.plugins.scoring;

import dev.shears.api.MaskSelection;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;

/**
 * The {@code group} parameter shared by every built-in scorer: which weights compete for
 * removal. Declared once so that all scorers spell it, default it and parse it alike.
 */
final class ComparisonGroup {
  static final String NAME = "group";

  /** The declaration; per-row is the reference behaviour of Wanda and SparseGPT. */
  static final ParamSpec SPEC =
      ParamSpec.ofChoice(
          NAME,
          "per-row",
          "which weights compete: each output row alone, or the whole tensor",
          "per-row",
          "per-tensor");

  private ComparisonGroup() {}

  static MaskSelection.Group from(Params params) {
    return MaskSelection.Group.parse(params.getChoice(NAME));
  }
}
