package dev.shears.api;

/** The three kinds of strategy a plugin can provide. */
public enum StrategyKind {
  /** Fine stage: ranks the weights inside one layer ({@link Scorer}). */
  SCORER("scorer", ScorerProvider.class),
  /** Coarse stage: decides each block's sparsity ({@link Allocator}). */
  ALLOCATOR("allocator", AllocatorProvider.class),
  /** The loss that zeroth-order importance estimates are taken on ({@link CalibrationLoss}). */
  LOSS("loss", LossProvider.class);

  private final String label;
  private final Class<? extends StrategyProvider<?>> providerType;

  StrategyKind(String label, Class<? extends StrategyProvider<?>> providerType) {
    this.label = label;
    this.providerType = providerType;
  }

  /**
   * The lower-case word used on the command line and as the prefix of {@code --param} keys.
   *
   * @return for example {@code "scorer"}
   */
  public String label() {
    return label;
  }

  /**
   * The service interface that {@link java.util.ServiceLoader} looks up for this kind.
   *
   * @return the provider interface
   */
  public Class<? extends StrategyProvider<?>> providerType() {
    return providerType;
  }
}
