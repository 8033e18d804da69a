package dev.shears.plugins.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.SparsityPattern;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quickselect-based {@link MaskSelection} picks exactly what the full sort picked. */
class MaskSelectionEquivalenceTest {

  private static float[] scores(Random random, int size, int distinct) {
    float[] s = new float[size];
    for (int i = 0; i < size; i++) {
      // few distinct values: many ties, which the lower index must break; zeros of both signs
      int v = random.nextInt(distinct) - distinct / 3;
      s[i] = v == 0 ? (random.nextBoolean() ? 0.0f : -0.0f) : v * 0.5f;
    }
    return s;
  }

  @Test
  void perRowMatchesSort() {
    Random random = new Random(1);
    int[][] shapes = {{1, 1}, {3, 7}, {65, 33}, {130, 100}, {64, 1000}, {7, 4096}};
    double[] sparsities = {0, 0.1, 0.5, 0.73, 0.99};
    for (int[] shape : shapes) {
      for (int distinct : new int[] {2, 5, 1000000}) {
        float[] s = scores(random, shape[0] * shape[1], distinct);
        for (double sp : sparsities) {
          BitSet got = MaskSelection.select(s, shape[0], shape[1],
              new LayerTarget(sp, SparsityPattern.unstructured()), MaskSelection.Group.PER_ROW);
          assertEquals(SortSelection.perRow(s, shape[0], shape[1], sp), got,
              shape[0] + "x" + shape[1] + " distinct " + distinct + " sparsity " + sp);
          BitSet tensor = MaskSelection.select(s, shape[0], shape[1],
              new LayerTarget(sp, SparsityPattern.unstructured()), MaskSelection.Group.PER_TENSOR);
          int k = (int) Math.floor((double) s.length * sp);
          assertEquals(SortSelection.lowest(s, 0, s.length, k), tensor, "per-tensor " + sp);
        }
      }
    }
  }

  @Test
  void nOfMMatchesSort() {
    Random random = new Random(2);
    for (String p : new String[] {"2:4", "1:4", "3:4", "4:8", "1:2", "16:32"}) {
      SparsityPattern pattern = SparsityPattern.parse(p);
      for (int[] shape : new int[][] {{1, 4}, {5, 10}, {67, 64}, {129, 66}, {3, 35}}) {
        for (int distinct : new int[] {2, 7, 1000000}) {
          float[] s = scores(random, shape[0] * shape[1], distinct);
          BitSet got = MaskSelection.select(s, shape[0], shape[1], new LayerTarget(0.5, pattern),
              MaskSelection.Group.PER_ROW);
          assertEquals(SortSelection.nOfM(s, shape[0], shape[1], pattern.n(), pattern.m()), got,
              p + " " + shape[0] + "x" + shape[1]);
        }
      }
    }
  }
}
