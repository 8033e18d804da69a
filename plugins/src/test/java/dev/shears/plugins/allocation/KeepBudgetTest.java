package dev.shears.plugins.allocation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeepBudgetTest {

  @Test
  void splitsTheRemainderByImportance() {
    // P = 200, K = 100, floors ceil(100 * 0.4) = 40 each, R = 20 split 3:1 -> +15, +5.
    long[] keep = KeepBudget.allocate(new long[] {100, 100}, new double[] {3, 1}, 0.5, 0.1);
    assertArrayEquals(new long[] {55, 45}, keep);
  }

  @Test
  void saturatedBlocksDropOutAndTheOvershootIsTakenBack() {
    // P = 210, K = 105, floors 4 40 40 (sum 84). Round 1: R = 21, ΣS = 102:
    // +21 -> 25 clamped to 10 (full), +ceil(0.206) = 1 each -> 41 41 (sum 92).
    // Round 2: R = 13, ΣS = 2 (the full block no longer counts): +7 each -> 48 48 (sum 106).
    // One too many: taken back from the least important block above its floor, the lower index.
    long[] keep =
        KeepBudget.allocate(new long[] {10, 100, 100}, new double[] {100, 1, 1}, 0.5, 0.1);
    assertArrayEquals(new long[] {10, 47, 48}, keep);
  }

  @Test
  void anUnimportantBlockStopsAtTheCap() {
    // Block 1 has no importance: it keeps only its floor ceil(100 * (1 - 0.6)) = 40.
    long[] keep = KeepBudget.allocate(new long[] {100, 100}, new double[] {1, 0}, 0.5, 0.1);
    assertArrayEquals(new long[] {60, 40}, keep);
  }

  @Test
  void zeroOrNanImportanceSplitsBySize() {
    long[] expected = {50, 150}; // P = 400, K = 200, floors 40 120, R = 40 split 1:3
    assertArrayEquals(
        expected, KeepBudget.allocate(new long[] {100, 300}, new double[] {0, 0}, 0.5, 0.1));
    assertArrayEquals(
        expected,
        KeepBudget.allocate(new long[] {100, 300}, new double[] {Double.NaN, 2}, 0.5, 0.1));
  }

  @Test
  void aCapAtOrAboveOneHasNoFloor() {
    // s_max = 1.3 clamps to 1: floors are 0 and everything follows importance.
    long[] keep = KeepBudget.allocate(new long[] {100, 100}, new double[] {1, 0}, 0.5, 0.8);
    assertArrayEquals(new long[] {100, 0}, keep);
  }

  @Test
  void floorsGiveWayWhenTheyExceedTheBudget() {
    // Three one-weight blocks at 50%: K = 1 but the floors ceil(0.4) = 1 sum to 3.
    long[] keep = KeepBudget.allocate(new long[] {1, 1, 1}, new double[] {1, 2, 3}, 0.5, 0.1);
    assertEquals(1, Arrays.stream(keep).sum());
    assertArrayEquals(new long[] {0, 0, 1}, keep);
  }

  @Test
  void randomCasesMeetTheBudgetExactlyAndRespectTheCap() {
    SplittableRandom random = new SplittableRandom(20240229L);
    for (int trial = 0; trial < 400; trial++) {
      int blocks = 1 + random.nextInt(16);
      double delta = 0.02 + random.nextDouble() * 0.3;
      double sparsity = random.nextDouble() * 0.95;
      // Blocks large enough that the cap's floors fit in the budget (see KeepBudget).
      int minSize = (int) Math.ceil((blocks + 1) / delta);
      long[] sizes = new long[blocks];
      double[] importance = new double[blocks];
      for (int i = 0; i < blocks; i++) {
        sizes[i] = minSize + random.nextInt(20_000);
        importance[i] =
            switch (random.nextInt(4)) {
              case 0 -> 0.0;
              case 1 -> random.nextDouble();
              case 2 -> Math.pow(10, random.nextInt(-8, 9)) * random.nextDouble();
              default -> 1.0;
            };
      }
      long[] keep = KeepBudget.allocate(sizes, importance, sparsity, delta);
      long total = Arrays.stream(sizes).sum();
      long budget = (long) Math.floor(total * (1 - sparsity));
      String where = "trial " + trial + " sizes " + Arrays.toString(sizes) + " importance "
          + Arrays.toString(importance) + " s " + sparsity + " delta " + delta;
      assertEquals(budget, Arrays.stream(keep).sum(), where);
      for (int i = 0; i < blocks; i++) {
        assertTrue(keep[i] >= 0 && keep[i] <= sizes[i], where);
        double blockSparsity = 1 - (double) keep[i] / sizes[i];
        assertTrue(blockSparsity <= sparsity + delta + 1e-12, where + " block " + i);
      }
    }
  }
}
