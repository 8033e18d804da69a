package dev.shears.api;

/** Service interface for {@link Allocator} plugins; list implementations in
 * {@code META-INF/services/dev.shears.api.AllocatorProvider}. */
public interface AllocatorProvider extends StrategyProvider<Allocator> {}
