package dev.shears.api;

/**
 * How the engine estimates zeroth-order block importance.
 *
 * @param eps the perturbation scale
 * @param samples calibration samples used for the estimate
 * @param batchSize samples per loss evaluation; {@code 0} picks the loss's own default
 * @param perturbations random directions per (tensor, batch)
 */
public record ZerothOrderSettings(double eps, int samples, int batchSize, int perturbations) {
  /** The paper's defaults: eps 1e-3, 32 samples, the loss's batch size, one direction. */
  public static final ZerothOrderSettings DEFAULTS = new ZerothOrderSettings(1e-3, 32, 0, 1);

  /**
   * Checks the fields.
   *
   * @param eps the perturbation scale
   * @param samples calibration samples
   * @param batchSize samples per evaluation, or 0
   * @param perturbations directions per (tensor, batch)
   */
  public ZerothOrderSettings {
    if (!(eps > 0) || samples < 1 || batchSize < 0 || perturbations < 1) {
      throw new IllegalArgumentException(
          "zeroth-order settings out of range: eps=" + eps + " samples=" + samples
              + " batchSize=" + batchSize + " perturbations=" + perturbations);
    }
  }
}
