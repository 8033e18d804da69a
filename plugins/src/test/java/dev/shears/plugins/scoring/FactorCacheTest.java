package dev.shears.plugins.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.shears.plugins.TestLayer;
import org.junit.jupiter.api.Test;

class FactorCacheTest {
  private static TestLayer layer(double[] gram, long tokens) {
    return new TestLayer("w", "b", 1, 2, new float[] {1, 2}, null, gram, tokens);
  }

  @Test
  void equalStatisticsShareOneFactorAndItEqualsAFreshOne() {
    FactorCache cache = new FactorCache(1 << 20);
    HessianFactor a = cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01);
    HessianFactor b = cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01);
    assertSame(a, b);
    assertArrayEquals(HessianFactor.of(layer(new double[] {2, 1, 1, 2}, 2), 0.01).upper(), a.upper());
  }

  @Test
  void anyDifferenceGivesItsOwnFactor() {
    FactorCache cache = new FactorCache(1 << 20);
    HessianFactor a = cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01);
    assertNotSame(a, cache.factor(layer(new double[] {2, 1, 1, 3}, 2), 0.01));
    assertNotSame(a, cache.factor(layer(new double[] {2, 1, 1, 2}, 3), 0.01));
    assertNotSame(a, cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.1));
  }

  @Test
  void theLeastRecentlyUsedGoesPastTheBudget() {
    // each entry costs 2 x 32 bytes (Gram copy + factor): room for two
    FactorCache cache = new FactorCache(128);
    HessianFactor a = cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01);
    HessianFactor b = cache.factor(layer(new double[] {3, 1, 1, 3}, 2), 0.01);
    assertSame(a, cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01));  // a is now the most recent
    cache.factor(layer(new double[] {4, 1, 1, 4}, 2), 0.01);  // evicts b
    assertSame(a, cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01));
    assertNotSame(b, cache.factor(layer(new double[] {3, 1, 1, 3}, 2), 0.01));
  }

  @Test
  void tooBigToKeepIsComputedEveryTime() {
    FactorCache cache = new FactorCache(16);
    HessianFactor a = cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01);
    assertNotSame(a, cache.factor(layer(new double[] {2, 1, 1, 2}, 2), 0.01));
  }
}
