package dev.shears.api;

/** Service interface for {@link CalibrationLoss} plugins; list implementations in
 * {@code META-INF/services/dev.shears.api.LossProvider}. */
public interface LossProvider extends StrategyProvider<CalibrationLoss> {}
