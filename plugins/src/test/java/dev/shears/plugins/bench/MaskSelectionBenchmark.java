package dev.shears.plugins.bench;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.SparsityPattern;
import java.util.BitSet;
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
 * Mask selection on a 4096 × 4096 tensor: per-row unstructured 50% and 2:4. Scores are in
 * weights per second (one operation = one weight). {@code sort*} is the first
 * implementation ({@link SortSelection}), measured in the same run as the current one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MaskSelectionBenchmark {
  static final int SIZE = 4096;
  static final int WEIGHTS = SIZE * SIZE;
  private static final LayerTarget HALF = new LayerTarget(0.5, SparsityPattern.unstructured());
  private static final LayerTarget TWO_FOUR = new LayerTarget(0.5, SparsityPattern.parse("2:4"));

  float[] scores;

  @Setup
  public void setup() {
    Random random = new Random(7);
    scores = new float[WEIGHTS];
    for (int i = 0; i < WEIGHTS; i++) {
      scores[i] = Math.abs((float) random.nextGaussian()) * (1 + (i % SIZE) / (float) SIZE);
    }
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public BitSet perRow50() {
    return MaskSelection.select(scores, SIZE, SIZE, HALF, MaskSelection.Group.PER_ROW);
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public BitSet sortPerRow50() {
    return SortSelection.perRow(scores, SIZE, SIZE, 0.5);
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public BitSet twoOfFour() {
    return MaskSelection.select(scores, SIZE, SIZE, TWO_FOUR, MaskSelection.Group.PER_ROW);
  }

  @Benchmark
  @OperationsPerInvocation(WEIGHTS)
  public BitSet sortTwoOfFour() {
    return SortSelection.nOfM(scores, SIZE, SIZE, 2, 4);
  }
}
