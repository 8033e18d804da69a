package dev.shears.plugins.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.plugins.TestLayer;
import java.nio.DoubleBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DenseTargetsTest {

  @Test
  void movesTheWeightsToTheLeastSquaresFitOfTheDenseOutput() {
    // X = [[1, 0], [0, 1], [1, 1]] (pruned-model input), X_d = [[1, 0], [0, 1], [2, 1]] (dense):
    // H = XᵀX = [[2, 1], [1, 2]], C = X_dᵀX = [[3, 2], [1, 2]]. For w = [1, 1] the dense output
    // is X_d w = [1, 1, 3], and the w' minimising ‖X w' − [1, 1, 3]‖² has (a−1) + (a+b−3) = 0
    // and (b−1) + (a+b−3) = 0, so a = b = 4/3; equally wᵀ C H⁻¹ = [4, 4] [[2, −1], [−1, 2]] / 3.
    TestLayer layer = new TestLayer("w", "b", 1, 2, new float[] {1, 1}, null, new double[] {2, 1, 1, 2}, 3);
    float[] w = {1, 1};
    DenseTargets.apply(w, 1, 2, DoubleBuffer.wrap(new double[] {3, 2, 1, 2}), 3, HessianFactor.of(layer, 0));
    assertArrayEquals(new float[] {4f / 3, 4f / 3}, w, 1e-6f);
  }

  @Test
  void sameInputsLeaveTheWeightsAsTheyAreWhateverTheDampening() {
    SplittableRandom random = new SplittableRandom(3);
    int rows = 5;
    int n = 12;
    int tokens = 30;
    double[] x = new double[tokens * n];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextGaussian();
    }
    for (int t = 0; t < tokens; t++) {
      x[t * n + 4] = 0; // a dead input: its repaired diagonal must be repeated in C
    }
    float[] weights = new float[rows * n];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) random.nextGaussian();
    }
    TestLayer layer = TestLayer.withInputs("b", rows, n, weights, x);
    float[] w = weights.clone();
    DenseTargets.apply(w, rows, n, layer.inputGram(), tokens, HessianFactor.of(layer, 0.05));
    assertArrayEquals(weights, w, 1e-4f);
  }

  @Test
  void dampedTargetsSolveTheRegularisedProblem() {
    // with dampening λ the weights solve (H + λI) w̃ = (C + λI)ᵀ w, H and C scaled by 2/tokens
    SplittableRandom random = new SplittableRandom(11);
    int n = 6;
    int tokens = 20;
    double[] x = new double[tokens * n];
    double[] xd = new double[tokens * n];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextGaussian();
      xd[i] = x[i] + 0.3 * random.nextGaussian();
    }
    double[] c = new double[n * n];
    for (int t = 0; t < tokens; t++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          c[i * n + j] += xd[t * n + i] * x[t * n + j];
        }
      }
    }
    float[] weights = new float[n];
    for (int i = 0; i < n; i++) {
      weights[i] = (float) random.nextGaussian();
    }
    TestLayer layer = TestLayer.withInputs("b", 1, n, weights, x);
    HessianFactor factor = HessianFactor.of(layer, 0.1);
    float[] w = weights.clone();
    DenseTargets.apply(w, 1, n, DoubleBuffer.wrap(c), tokens, factor);
    double scale = 2.0 / tokens;
    for (int i = 0; i < n; i++) {
      double lhs = factor.damp() * w[i];
      double rhs = factor.damp() * weights[i];
      for (int j = 0; j < n; j++) {
        lhs += scale * layer.gram()[i * n + j] * w[j];
        rhs += scale * c[j * n + i] * weights[j];
      }
      assertEquals(rhs, lhs, 1e-4 * Math.max(1, Math.abs(rhs)), "row " + i);
    }
  }
}
