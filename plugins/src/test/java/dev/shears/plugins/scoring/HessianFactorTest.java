package dev.shears.plugins.scoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.plugins.TestLayer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HessianFactorTest {

  @Test
  void upperFactorOfTheInverseOfATwoByTwo() {
    // H = XᵀX (n = 2, so 2/n = 1) = [[2, 1], [1, 2]]; H⁻¹ = [[2, -1], [-1, 2]] / 3,
    // whose upper Cholesky factor is [[sqrt(2/3), -1/sqrt(6)], [0, sqrt(1/2)]].
    TestLayer layer =
        new TestLayer("w", "b", 1, 2, new float[2], null, new double[] {2, 1, 1, 2}, 2);
    HessianFactor f = HessianFactor.of(layer, 0);
    assertArrayEquals(
        new double[] {Math.sqrt(2.0 / 3), -1 / Math.sqrt(6), 0, Math.sqrt(0.5)}, f.upper(), 1e-14);
  }

  @Test
  void randomFactorInvertsTheDampedHessian() {
    SplittableRandom random = new SplittableRandom(7);
    int n = 40;
    int tokens = 60;
    double[] x = new double[tokens * n];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextGaussian();
    }
    for (int t = 0; t < tokens; t++) {
      x[t * n + 5] = 0; // a dead input
    }
    TestLayer layer = TestLayer.withInputs("b", 1, n, new float[n], x);
    HessianFactor f = HessianFactor.of(layer, 0.01);
    assertTrue(f.dead()[5]);
    // Rebuild the damped H the way the reference does and check Uᵀ U H = I.
    double[] h = new double[n * n];
    double trace = 0;
    for (int i = 0; i < h.length; i++) {
      h[i] = 2.0 / tokens * layer.gram()[i];
    }
    h[5 * n + 5] = 1;
    for (int i = 0; i < n; i++) {
      trace += h[i * n + i];
    }
    for (int i = 0; i < n; i++) {
      h[i * n + i] += 0.01 * trace / n;
    }
    double[] u = f.upper();
    for (int i = 0; i < n; i++) {
      assertTrue(u[i * n + i] > 0);
      for (int j = 0; j < i; j++) {
        assertEquals(0, u[i * n + j]);
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double v = 0;
        for (int k = 0; k < n; k++) {
          double hinv = 0; // (UᵀU)[i][k]
          for (int l = 0; l < n; l++) {
            hinv += u[l * n + i] * u[l * n + k];
          }
          v += hinv * h[k * n + j];
        }
        assertEquals(i == j ? 1 : 0, v, 1e-10, "(" + i + "," + j + ")");
      }
    }
  }

  @Test
  void refusesAnIndefiniteHessian() {
    // [[1, 2], [2, 1]] has eigenvalue -1; without dampening it cannot be factored.
    TestLayer layer =
        new TestLayer("w", "b", 1, 2, new float[2], null, new double[] {1, 2, 2, 1}, 2);
    assertThrows(IllegalStateException.class, () -> HessianFactor.of(layer, 0));
  }
}
