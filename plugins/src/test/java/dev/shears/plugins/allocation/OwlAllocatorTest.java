package dev.shears.plugins.allocation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.api.Block;
import dev.shears.api.Layer;
import dev.shears.plugins.TestBlock;
import dev.shears.plugins.TestLayer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OwlAllocatorTest {

  private static Layer layer(int rows, int columns, float[] w, double... squareSums) {
    return new TestLayer("w", "b", rows, columns, w, squareSums, null, 1);
  }

  private static Block block(String name, Layer... layers) {
    return new TestBlock(name, "t", List.of(layers), 0);
  }

  @Test
  void handComputedOutlierRatios() {
    // M = 1.5. Block a: scores 1 1 1 1, mean 1, none above 1.5 -> D = 0.
    // Block b: |W| 10 1 1 1 times sqrt(1): mean 3.25, one above 4.875 -> D = 25.
    // Block c: two layers, scores 0 0 (zero weights) and 5 5 (|W| 1 times sqrt(25)):
    //   mean 2.5, two above 3.75 -> D = 50.
    Block a = block("a", layer(1, 4, new float[] {1, -1, 1, 1}, 1, 1, 1, 1));
    Block b = block("b", layer(1, 4, new float[] {10, 1, -1, 1}, 1, 1, 1, 1));
    Block c =
        block("c", layer(1, 2, new float[] {0, 0}, 4, 4), layer(2, 1, new float[] {1, -1}, 25));
    assertEquals(0, OutlierRatio.of(a, 1.5));
    assertEquals(25, OutlierRatio.of(b, 1.5));
    assertEquals(50, OutlierRatio.of(c, 1.5));

    // λ = 0.1: D' = 0 0.1 0.2, mean 0.1; density = D' - 0.1 + 0.5 -> sparsity 0.6 0.5 0.4.
    Map<String, Double> s = new OwlAllocator(1.5, 0.1).allocate(List.of(a, b, c), 0.5);
    assertEquals(0.6, s.get("a"), 1e-12);
    assertEquals(0.5, s.get("b"), 1e-12);
    assertEquals(0.4, s.get("c"), 1e-12);

    // s = 0.95, λ = 0.08: block a would need sparsity 1.03; it is clamped below 1.
    Map<String, Double> high = new OwlAllocator(1.5, 0.08).allocate(List.of(a, b, c), 0.95);
    assertEquals(Math.nextDown(1.0), high.get("a"));
    assertEquals(0.95, high.get("b"), 1e-12);
    assertEquals(0.87, high.get("c"), 1e-12);
  }

  @Test
  void equalRatiosGiveUniformSparsity() {
    Block a = block("a", layer(1, 2, new float[] {1, 1}, 1, 1));
    Block b = block("b", layer(1, 2, new float[] {3, 3}, 4, 4));
    assertEquals(
        Map.of("a", 0.3, "b", 0.3), new OwlAllocator(5, 0.08).allocate(List.of(a, b), 0.3));
  }
}
