package dev.shears.core.pruning;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.StrategyKind;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The calibration loss of a run, resolved once: the one named with {@code --loss}, or the first
 * registered loss that fits the model's outputs.
 *
 * @param loss the loss, guarded (its failures are reported as the plugin's)
 * @param name its name, as the report gives it
 */
record LossChoice(CalibrationLoss loss, String name) {

  /**
   * Resolves the loss of a run.
   *
   * @param named the name given with {@code --loss}, or {@code null} to pick from the outputs
   * @param params the {@code loss.*} parameters
   * @param progress where a picked loss is noted
   * @throws InvalidConfigurationException when the named loss does not fit the outputs, or none does
   */
  static LossChoice of(StrategyRegistry registry, ModelFile model, String named, Map<String, String> params,
      Progress progress) {
    Set<String> outputs = new LinkedHashSet<>();
    model.proto().getGraph().getOutputList().forEach(v -> outputs.add(v.getName()));
    if (named != null) {
      CalibrationLoss loss = new Guarded.GuardedLoss(registry, named, params);
      if (!loss.appliesTo(outputs)) {
        throw new InvalidConfigurationException("--loss " + named + " does not fit this model's outputs " + outputs);
      }
      return new LossChoice(loss, named);
    }
    for (StrategyRegistry.Entry e : registry.entries(StrategyKind.LOSS)) {
      String candidate = e.provider().name();
      if (new Guarded.GuardedLoss(registry, candidate, Map.of()).appliesTo(outputs)) {
        progress.note("loss: " + candidate + " (picked from the model's outputs; --loss to change)");
        return new LossChoice(new Guarded.GuardedLoss(registry, candidate, params), candidate);
      }
    }
    throw new InvalidConfigurationException("the model's outputs " + outputs + " fit no calibration loss; give --loss NAME"
        + " (available: " + String.join(", ", registry.availableNames(StrategyKind.LOSS)) + ")");
  }
}
