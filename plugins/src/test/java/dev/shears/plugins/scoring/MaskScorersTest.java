package dev.shears.plugins.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection.Group;
import dev.shears.api.PruneResult;
import dev.shears.api.SparsityPattern;
import dev.shears.plugins.TestLayer;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class MaskScorersTest {
  private static final LayerTarget HALF = new LayerTarget(0.5, SparsityPattern.unstructured());

  private static BitSet bits(int... indices) {
    BitSet b = new BitSet();
    for (int i : indices) {
      b.set(i);
    }
    return b;
  }

  @Test
  void magnitudePerRowDropsTheSmallestOfEachRow() {
    // row 0: |.| = 3 1 4 2 -> drop columns 1 and 3; row 1: 0.5 -7 6 0.1 -> drop 0 and 3
    TestLayer layer = TestLayer.of(2, 4, 3, -1, 4, 2, 0.5f, -7, 6, 0.1f);
    PruneResult r = new MagnitudeScorer(Group.PER_ROW).prune(layer, HALF);
    assertEquals(bits(1, 3, 4, 7), r.pruned());
    assertNull(r.updatedWeights());
  }

  @Test
  void magnitudePerTensorMayEmptyARow() {
    TestLayer layer = TestLayer.of(2, 4, 3, -1, 4, 2, 0.5f, -7, 6, 0.1f);
    // the four smallest of 3 1 4 2 .5 7 6 .1 are .1 .5 1 2
    assertEquals(bits(1, 3, 4, 7), new MagnitudeScorer(Group.PER_TENSOR).prune(layer, HALF).pruned());
    TestLayer skewed = TestLayer.of(2, 4, 1, 2, 3, 4, 5, 6, 7, 8);
    assertEquals(bits(0, 1, 2, 3), new MagnitudeScorer(Group.PER_TENSOR).prune(skewed, HALF).pruned());
  }

  @Test
  void tiesGoToTheLowerIndex() {
    TestLayer layer = TestLayer.of(1, 4, 2, -2, 2, 2);
    LayerTarget quarterish = new LayerTarget(0.6, SparsityPattern.unstructured()); // floor(2.4)=2
    assertEquals(bits(0, 1), new MagnitudeScorer(Group.PER_ROW).prune(layer, quarterish).pruned());
    assertEquals(bits(0, 1), new MagnitudeScorer(Group.PER_TENSOR).prune(layer, quarterish).pruned());
  }

  @Test
  void twoFourKeepsTheTwoLargestOfEveryRunOfFour() {
    TestLayer layer = TestLayer.of(1, 10, 1, 4, 3, 2, /* run 2 */ -9, 0, 8, 1, /* tail */ 0, 0);
    LayerTarget twoFour = new LayerTarget(0.5, SparsityPattern.parse("2:4"));
    // run 1 drops columns 0 and 3; run 2 drops 5 and 7; the 2-column tail stays dense
    assertEquals(bits(0, 3, 5, 7), new MagnitudeScorer(Group.PER_ROW).prune(layer, twoFour).pruned());
  }

  @Test
  void wandaWeighsByInputNorm() {
    // |W| = 4 3 2 1, norms sqrt(1, 4, 16, 100) = 1 2 4 10 -> scores 4 6 8 10: drop 0 and 1.
    TestLayer layer =
        new TestLayer("w", "b", 1, 4, new float[] {4, -3, 2, 1}, new double[] {1, 4, 16, 100},
            null, 3);
    assertEquals(bits(0, 1), new WandaScorer(Group.PER_ROW).prune(layer, HALF).pruned());
    // magnitude would drop the other half
    assertEquals(bits(2, 3), new MagnitudeScorer(Group.PER_ROW).prune(layer, HALF).pruned());
  }

  @Test
  void wandaPerTensorAndTwoFour() {
    // scores row 0: 1*1 2*1 3*3 1*3 = 1 2 9 3 ; row 1: 5*1 1*1 1*3 2*3 = 5 1 3 6
    float[] w = {1, 2, 3, 1, 5, 1, 1, 2};
    TestLayer layer = new TestLayer("w", "b", 2, 4, w, new double[] {1, 1, 9, 9}, null, 2);
    // lowest four: 1 (idx0), 1 (idx5), 2 (idx1), then 3 ties between idx3 and idx6 -> idx3
    assertEquals(bits(0, 1, 3, 5), new WandaScorer(Group.PER_TENSOR).prune(layer, HALF).pruned());
    LayerTarget twoFour = new LayerTarget(0.5, SparsityPattern.parse("2:4"));
    assertEquals(bits(0, 1, 5, 6), new WandaScorer(Group.PER_ROW).prune(layer, twoFour).pruned());
  }
}
