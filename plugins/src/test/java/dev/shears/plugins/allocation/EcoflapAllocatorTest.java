package dev.shears.plugins.allocation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Params;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.plugins.TestBlock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EcoflapAllocatorTest {
  private final EcoflapAllocatorProvider provider = new EcoflapAllocatorProvider();
  private final List<Block> blocks =
      List.of(TestBlock.sized("a", 100, 10), TestBlock.sized("b", 300, 30));

  private Allocator create(Map<String, String> given) {
    return provider.create(Params.of("allocator.", provider.parameters(), given));
  }

  @Test
  void sumAggregationFollowsTotalImportance() {
    // P = 400, K = 200, floors 40 120, R = 40 split 10:30 -> keeps 50 and 150.
    Map<String, Double> s = create(Map.of()).allocate(blocks, 0.5);
    assertEquals(0.5, s.get("a"), 1e-15);
    assertEquals(0.5, s.get("b"), 1e-15);
  }

  @Test
  void averageAggregationFollowsImportancePerWeight() {
    // Both blocks have importance 0.1 per weight: R = 40 splits evenly -> keeps 60 and 140.
    Map<String, Double> s = create(Map.of("aggregation", "avg")).allocate(blocks, 0.5);
    assertEquals(0.4, s.get("a"), 1e-15);
    assertEquals(1 - 140.0 / 300, s.get("b"), 1e-15);
  }

  @Test
  void declaresZerothOrderEvidenceAndItsSettings() {
    Allocator a =
        create(Map.of("eps", "0.01", "samples", "16", "batchSize", "4", "perturbations", "2"));
    assertEquals(Set.of(Evidence.ZEROTH_ORDER_IMPORTANCE), a.evidence());
    assertEquals(new ZerothOrderSettings(0.01, 16, 4, 2), a.zerothOrder());
    assertEquals(ZerothOrderSettings.DEFAULTS, create(Map.of()).zerothOrder());
  }

  @Test
  void rejectsUnusableSettings() {
    assertThrows(InvalidConfigurationException.class, () -> create(Map.of("samples", "0")));
    assertThrows(
        InvalidConfigurationException.class, () -> create(Map.of("maxSparsityDelta", "-0.1")));
  }

  @Test
  void uniformGivesEveryBlockTheTarget() {
    Map<String, Double> s = new UniformAllocator().allocate(blocks, 0.3);
    assertEquals(Map.of("a", 0.3, "b", 0.3), s);
  }
}
