package dev.shears.api;

/** Service interface for {@link Scorer} plugins; list implementations in
 * {@code META-INF/services/dev.shears.api.ScorerProvider}. */
public interface ScorerProvider extends StrategyProvider<Scorer> {}
