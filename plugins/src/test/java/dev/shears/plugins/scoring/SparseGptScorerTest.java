package dev.shears.plugins.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection.Group;
import dev.shears.api.PruneResult;
import dev.shears.api.Scorer;
import dev.shears.api.SparsityPattern;
import dev.shears.plugins.TestLayer;
import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SparseGptScorerTest {
  private static final LayerTarget HALF = new LayerTarget(0.5, SparsityPattern.unstructured());
  private static final LayerTarget TWO_FOUR = new LayerTarget(0.5, SparsityPattern.parse("2:4"));

  @Test
  void handWorkedTwoByTwo() {
    // H = [[2, 1], [1, 2]] (no dampening), U = [[sqrt(2/3), -1/sqrt(6)], [0, sqrt(1/2)]].
    // Row 0 = [1, 3]: saliencies 1/(2/3) = 1.5 and 9/(1/2) = 18 -> prune column 0;
    //   error 1/sqrt(2/3) moves onto column 1: 3 - err * (-1/sqrt(6)) = 3.5.
    // Row 1 = [3, 1]: saliencies 13.5 and 2 -> prune column 1, the last: nothing to update.
    TestLayer layer =
        new TestLayer("w", "b", 2, 2, new float[] {1, 3, 3, 1}, null, new double[] {2, 1, 1, 2}, 2);
    for (Group group : Group.values()) {
      PruneResult r = new SparseGptScorer(group, 128, 0).prune(layer, HALF);
      BitSet expected = new BitSet();
      expected.set(0);
      expected.set(3);
      assertEquals(expected, r.pruned(), group.toString());
      assertArrayEquals(new float[] {0, 3.5f, 3, 0}, r.updatedWeights(), 1e-6f, group.toString());
    }
  }

  @Test
  void blocksSplitTheRowCountByFloors() {
    // blockSize 1 with s = 0.5 on two columns: block [0,1) prunes floor(0.5) - 0 = 0,
    // block [1,2) prunes floor(1) - floor(0.5) = 1, whatever the saliencies.
    TestLayer layer =
        new TestLayer("w", "b", 1, 2, new float[] {1, 3}, null, new double[] {2, 1, 1, 2}, 2);
    PruneResult r = new SparseGptScorer(Group.PER_ROW, 1, 0).prune(layer, HALF);
    assertEquals(BitSet.valueOf(new long[] {0b10}), r.pruned());
    assertArrayEquals(new float[] {1, 0}, r.updatedWeights());
  }

  @Test
  void prunesExactlyWhatMaskSelectionWould() {
    Calibration cal = Calibration.correlated(11, 8, 37, 100);
    LayerTarget target = new LayerTarget(0.3, SparsityPattern.unstructured());
    PruneResult perRow = new SparseGptScorer(Group.PER_ROW, 8, 0.01).prune(cal.layer, target);
    for (int r = 0; r < 8; r++) {
      assertEquals(11, perRow.pruned().get(r * 37, r * 37 + 37).cardinality(), "row " + r);
    }
    assertPrunedAreZero(perRow);
    PruneResult perTensor = new SparseGptScorer(Group.PER_TENSOR, 8, 0.01).prune(cal.layer, target);
    assertEquals(88, perTensor.pruned().cardinality()); // floor(8 * 37 * 0.3)
    assertPrunedAreZero(perTensor);

    Calibration nm = Calibration.correlated(12, 4, 18, 100);
    PruneResult twoFour = new SparseGptScorer(Group.PER_ROW, 6, 0.01).prune(nm.layer, TWO_FOUR);
    for (int r = 0; r < 4; r++) {
      for (int run = 0; run < 4; run++) {
        int at = r * 18 + run * 4;
        assertEquals(2, twoFour.pruned().get(at, at + 4).cardinality());
      }
      assertEquals(0, twoFour.pruned().get(r * 18 + 16, r * 18 + 18).cardinality(), "tail");
    }
  }

  @Test
  void identityGramIsMagnitudePruningWithoutWeightChanges() {
    SplittableRandom random = new SplittableRandom(3);
    int rows = 6;
    int columns = 20;
    float[] w = new float[rows * columns];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
    }
    w[3] = w[4]; // a tie, broken by index in both scorers
    double[] identity = new double[columns * columns];
    for (int i = 0; i < columns; i++) {
      identity[i * columns + i] = 1;
    }
    TestLayer layer = new TestLayer("w", "b", rows, columns, w, null, identity, 5);
    for (LayerTarget target : new LayerTarget[] {HALF, TWO_FOUR}) {
      for (Group group : Group.values()) {
        PruneResult gpt = new SparseGptScorer(group, 128, 0.01).prune(layer, target);
        BitSet magnitude = new MagnitudeScorer(group).prune(layer, target).pruned();
        assertEquals(magnitude, gpt.pruned(), group + " " + target);
        for (int i = 0; i < w.length; i++) {
          assertEquals(magnitude.get(i) ? 0f : w[i], gpt.updatedWeights()[i], "weight " + i);
        }
      }
    }
  }

  @Test
  void lazyBlockUpdatesMatchOneBigBlock() {
    // Under 2:4 the mask of each run is chosen when it is reached, so the result must not
    // depend on the block size: small blocks exercise the lazy update of later columns.
    Calibration cal = Calibration.correlated(5, 5, 24, 80);
    PruneResult big = new SparseGptScorer(Group.PER_ROW, 128, 0.01).prune(cal.layer, TWO_FOUR);
    for (int blockSize : new int[] {4, 7, 8}) {
      PruneResult small =
          new SparseGptScorer(Group.PER_ROW, blockSize, 0.01).prune(cal.layer, TWO_FOUR);
      assertEquals(big.pruned(), small.pruned(), "blockSize " + blockSize);
      assertArrayEquals(big.updatedWeights(), small.updatedWeights(), 1e-4f);
    }
  }

  @Test
  void compensationLowersTheLayerOutputError() {
    Calibration cal = Calibration.correlated(21, 16, 32, 256);
    double gpt = cal.outputError(new SparseGptScorer(Group.PER_ROW, 128, 0.01).prune(cal.layer, HALF));
    double magnitude = cal.outputError(new MagnitudeScorer(Group.PER_ROW).prune(cal.layer, HALF));
    double wanda = cal.outputError(new WandaScorer(Group.PER_ROW).prune(cal.layer, HALF));
    assertTrue(gpt < 0.8 * magnitude, gpt + " vs magnitude " + magnitude);
    assertTrue(gpt < 0.8 * wanda, gpt + " vs wanda " + wanda);
    // the same holds with small blocks (lazy updates) and under 2:4
    Scorer small = new SparseGptScorer(Group.PER_ROW, 8, 0.01);
    assertTrue(cal.outputError(small.prune(cal.layer, HALF)) < magnitude);
    assertTrue(
        cal.outputError(small.prune(cal.layer, TWO_FOUR))
            < cal.outputError(new WandaScorer(Group.PER_ROW).prune(cal.layer, TWO_FOUR)));
  }

  @Test
  void deadInputColumnIsZeroed() {
    Calibration cal = Calibration.correlated(9, 4, 10, 50);
    double[] x = cal.x.clone();
    for (int t = 0; t < 50; t++) {
      x[t * 10 + 6] = 0;
    }
    TestLayer layer = TestLayer.withInputs("b", 4, 10, cal.layer.weightValues(), x);
    LayerTarget light = new LayerTarget(0.1, SparsityPattern.unstructured());
    PruneResult r = new SparseGptScorer(Group.PER_ROW, 128, 0.01).prune(layer, light);
    for (int row = 0; row < 4; row++) {
      assertTrue(cal.layer.weightValues()[row * 10 + 6] != 0);
      assertEquals(0f, r.updatedWeights()[row * 10 + 6]);
      assertEquals(1, r.pruned().get(row * 10, row * 10 + 10).cardinality());
    }
  }

  @Test
  void refitHandWorkedThreeColumns() {
    // H = [[2, 1, 1], [1, 2, 1], [1, 1, 2]] (Gram with 2 tokens, no dampening), w0 = [1, 0.1, 1]:
    // a third of the row goes, the small middle weight. SparseGPT moves its error onto column 2
    // only, so column 0 keeps exactly 1. The refit solves H_SS w_S = (H w0)_S over S = {0, 2}:
    // [[2, 1], [1, 2]] w_S = [2 + 0.1 + 1, 1 + 0.1 + 2] = [3.1, 3.1], so w_S = [3.1/3, 3.1/3];
    // two conjugate-gradient steps solve a 2 x 2 system exactly.
    TestLayer layer = new TestLayer("w", "b", 1, 3, new float[] {1, 0.1f, 1}, null,
        new double[] {2, 1, 1, 1, 2, 1, 1, 1, 2}, 2);
    LayerTarget third = new LayerTarget(0.34, SparsityPattern.unstructured());
    PruneResult paper = new SparseGptScorer(Group.PER_ROW, 128, 0).prune(layer, third);
    assertEquals(BitSet.valueOf(new long[] {0b010}), paper.pruned());
    assertEquals(1f, paper.updatedWeights()[0]);
    for (int steps : new int[] {2, 10}) {
      PruneResult refit = new SparseGptScorer(Group.PER_ROW, 128, 0, steps).prune(layer, third);
      assertEquals(paper.pruned(), refit.pruned());
      assertArrayEquals(new float[] {3.1f / 3, 0, 3.1f / 3}, refit.updatedWeights(), 1e-6f, "steps " + steps);
    }
  }

  @Test
  void refitReachesTheLeastSquaresOptimumOfTheSameMask() {
    Calibration cal = Calibration.correlated(31, 6, 24, 120);
    for (LayerTarget target : new LayerTarget[] {HALF, TWO_FOUR}) {
      PruneResult paper = new SparseGptScorer(Group.PER_ROW, 8, 0.01).prune(cal.layer, target);
      PruneResult refit = new SparseGptScorer(Group.PER_ROW, 8, 0.01, 24).prune(cal.layer, target);
      assertEquals(paper.pruned(), refit.pruned(), "the refit keeps the mask");
      assertPrunedAreZero(refit);
      float[] optimum = cal.leastSquares(paper.pruned(), 0.01);
      assertArrayEquals(optimum, refit.updatedWeights(), 2e-3f, target.toString());
      // the optimum of the damped problem is not worse on the data than SparseGPT's weights
      assertTrue(cal.outputError(refit) < cal.outputError(paper), target.toString());
    }
  }

  @Test
  void lossMeasurementsUseTheMeasurementRefit() {
    Calibration cal = Calibration.correlated(41, 5, 16, 60);
    SparseGptScorer refitting = new SparseGptScorer(Group.PER_ROW, 128, 0.01, 10);
    assertSame(refitting, refitting.forLossMeasurements());
    Scorer measuring = new SparseGptScorer(Group.PER_ROW, 128, 0.01, 10, 0).forLossMeasurements();
    PruneResult paper = new SparseGptScorer(Group.PER_ROW, 128, 0.01).prune(cal.layer, HALF);
    PruneResult measured = measuring.prune(cal.layer, HALF);
    assertEquals(paper.pruned(), measured.pruned());
    assertArrayEquals(paper.updatedWeights(), measured.updatedWeights());
    Scorer three = new SparseGptScorer(Group.PER_ROW, 128, 0.01, 10, 3).forLossMeasurements();
    assertArrayEquals(new SparseGptScorer(Group.PER_ROW, 128, 0.01, 3).prune(cal.layer, HALF).updatedWeights(),
        three.prune(cal.layer, HALF).updatedWeights());
  }

  private static void assertPrunedAreZero(PruneResult r) {
    for (int i = r.pruned().nextSetBit(0); i >= 0; i = r.pruned().nextSetBit(i + 1)) {
      assertEquals(0f, r.updatedWeights()[i]);
    }
  }

  /** A random layer with inputs whose features are strongly correlated. */
  private record Calibration(TestLayer layer, double[] x, int tokens) {
    static Calibration correlated(long seed, int rows, int columns, int tokens) {
      SplittableRandom random = new SplittableRandom(seed);
      int latent = Math.max(2, columns / 4);
      double[] mix = new double[latent * columns];
      for (int i = 0; i < mix.length; i++) {
        mix[i] = random.nextGaussian();
      }
      double[] x = new double[tokens * columns];
      for (int t = 0; t < tokens; t++) {
        double[] z = new double[latent];
        for (int l = 0; l < latent; l++) {
          z[l] = random.nextGaussian();
        }
        for (int c = 0; c < columns; c++) {
          double v = 0.1 * random.nextGaussian();
          for (int l = 0; l < latent; l++) {
            v += z[l] * mix[l * columns + c];
          }
          x[t * columns + c] = v * (1 + c % 3); // uneven feature scales, as Wanda expects
        }
      }
      float[] w = new float[rows * columns];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) random.nextGaussian();
      }
      return new Calibration(TestLayer.withInputs("b", rows, columns, w, x), x, tokens);
    }

    /**
     * For each row, the kept weights minimising {@code (w - w0) H (w - w0)ᵀ} with SparseGPT's
     * damped {@code H}, solved directly by Gaussian elimination on {@code H_SS}.
     */
    float[] leastSquares(BitSet pruned, double dampening) {
      int rows = layer.rows();
      int n = layer.columns();
      double[] h = new double[n * n];
      for (int t = 0; t < tokens; t++) {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            h[i * n + j] += 2.0 / tokens * x[t * n + i] * x[t * n + j];
          }
        }
      }
      double trace = 0;
      for (int i = 0; i < n; i++) {
        trace += h[i * n + i];
      }
      for (int i = 0; i < n; i++) {
        h[i * n + i] += dampening * trace / n;
      }
      float[] w0 = layer.weightValues();
      float[] out = new float[rows * n];
      for (int r = 0; r < rows; r++) {
        int base = r * n;
        int[] kept = java.util.stream.IntStream.range(0, n).filter(c -> !pruned.get(base + c)).toArray();
        int k = kept.length;
        double[][] a = new double[k][k + 1];
        for (int i = 0; i < k; i++) {
          for (int j = 0; j < k; j++) {
            a[i][j] = h[kept[i] * n + kept[j]];
          }
          for (int c = 0; c < n; c++) {
            a[i][k] += h[kept[i] * n + c] * w0[base + c];
          }
        }
        for (int p = 0; p < k; p++) { // H_SS is positive definite: no pivoting needed
          for (int i = p + 1; i < k; i++) {
            double f = a[i][p] / a[p][p];
            for (int j = p; j <= k; j++) {
              a[i][j] -= f * a[p][j];
            }
          }
        }
        for (int i = k - 1; i >= 0; i--) {
          double v = a[i][k];
          for (int j = i + 1; j < k; j++) {
            v -= a[i][j] * out[base + kept[j]];
          }
          out[base + kept[i]] = (float) (v / a[i][i]);
        }
      }
      return out;
    }

    /** {@code ||(W - Ŵ) Xᵀ||_F} over the calibration tokens. */
    double outputError(PruneResult result) {
      int rows = layer.rows();
      int columns = layer.columns();
      float[] original = layer.weightValues();
      double total = 0;
      for (int r = 0; r < rows; r++) {
        for (int t = 0; t < tokens; t++) {
          double diff = 0;
          for (int c = 0; c < columns; c++) {
            int i = r * columns + c;
            double kept =
                result.pruned().get(i)
                    ? 0
                    : result.updatedWeights() == null ? original[i] : result.updatedWeights()[i];
            diff += (original[i] - kept) * x[t * columns + c];
          }
          total += diff * diff;
        }
      }
      return Math.sqrt(total);
    }
  }
}
