package dev.shears.plugins.scoring;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.SparsityPattern;
import dev.shears.plugins.TestLayer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * SparseGPT on a 1024 × 1024 layer with a random positive-definite Gram matrix (from 2048
 * random tokens): the scorer ({@code prune50}, {@code prune2of4}; its factor cache keeps the
 * Hessian factor after the first call, so these measure the block-wise pruning and updates), the
 * same with the refit of kept weights ({@code prune50Refit}), and
 * the factor alone. Scores are in weights per second (one operation = one weight of the layer).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SparseGptBenchmark {
  static final int N = 1024;
  static final int WEIGHTS = N * N;

  TestLayer layer;
  SparseGptScorer scorer;
  SparseGptScorer refitting;

  @Setup
  public void setup() {
    Random random = new Random(11);
    int tokens = 2 * N;
    float[] w = new float[WEIGHTS];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) random.nextGaussian();
    }
    double[] x = new double[tokens * N];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextGaussian();
    }
    double[] gram = new double[N * N];
    // gram = xᵀx, row by row of x (cheaper than TestLayer.withInputs' scalar triple loop order)
    for (int t = 0; t < tokens; t++) {
      int row = t * N;
      for (int i = 0; i < N; i++) {
        double xi = x[row + i];
        int g = i * N;
        for (int j = 0; j < N; j++) {
          gram[g + j] += xi * x[row + j];
        }
      }
    }
    layer = new TestLayer("w", "b", N, N, w, null, gram, tokens);
    scorer = new SparseGptScorer(MaskSelection.Group.PER_ROW, 128, 0.01);
    refitting = new SparseGptScorer(MaskSelection.Group.PER_ROW, 128, 0.01, 10);
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public PruneResult prune50() {
    return scorer.prune(layer, new LayerTarget(0.5, SparsityPattern.unstructured()));
  }

  /** {@code prune50} with the default refit of the kept weights (10 steps); compare the two. */
  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public PruneResult prune50Refit() {
    return refitting.prune(layer, new LayerTarget(0.5, SparsityPattern.unstructured()));
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public PruneResult prune2of4() {
    return scorer.prune(layer, new LayerTarget(0.5, SparsityPattern.parse("2:4")));
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public HessianFactor factor() {
    return HessianFactor.of(layer, 0.01);
  }
}
