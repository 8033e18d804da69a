package dev.shears.core.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.shears.api.Evidence;
import dev.shears.api.StrategyKind;
import dev.shears.plugins.scoring.SparseGptScorer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The built-in plugins register through {@link java.util.ServiceLoader}, valid and complete.
 * It is a core test because the registry is core's and the plugins module cannot depend on
 * core; the registry sees the plugins jar's services files only, not core's test providers.
 */
class BuiltInStrategiesTest {
  private final StrategyRegistry registry = StrategyRegistry.load(ServicesOnlyFrom.locationOf(SparseGptScorer.class));

  @Test
  void allBuiltInsAreFoundThroughServiceLoader() {
    assertEquals(List.of(), registry.problems());
    assertEquals(
        List.of("magnitude", "wanda", "sparsegpt"), registry.availableNames(StrategyKind.SCORER));
    assertEquals(
        List.of("uniform", "ecoflap", "owl", "sensitivity"), registry.availableNames(StrategyKind.ALLOCATOR));
  }

  @Test
  void strategiesAreCreatedWithTheirDeclaredEvidence() {
    assertEquals(Set.of(), registry.scorer("magnitude", Map.of()).evidence());
    assertEquals(
        Set.of(Evidence.ACTIVATION_NORMS),
        registry.scorer("wanda", Map.of("group", "per-tensor")).evidence());
    assertInstanceOf(
        SparseGptScorer.class,
        registry.scorer("sparsegpt", Map.of("blockSize", "64", "dampening", "0.05")));
    assertEquals(Set.of(), registry.allocator("uniform", Map.of()).evidence());
    assertEquals(
        Set.of(Evidence.ZEROTH_ORDER_IMPORTANCE),
        registry.allocator("ecoflap", Map.of()).evidence());
    assertEquals(
        Set.of(Evidence.ACTIVATION_NORMS),
        registry.allocator("owl", Map.of("lambda", "0.1")).evidence());
    assertEquals(
        Set.of(Evidence.PRUNED_LOSS),
        registry.allocator("sensitivity", Map.of("grid", "-0.1,0,0.1")).evidence());
  }
}
