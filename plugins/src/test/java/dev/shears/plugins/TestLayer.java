package dev.shears.plugins;

import dev.shears.api.Layer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * An in-memory {@link Layer} for tests.
 *
 * @param name the tensor name
 * @param block the block name
 * @param rows output channels
 * @param columns input features
 * @param weightValues row-major weights
 * @param squareSums per-column sums of squares, or null when not gathered
 * @param gram row-major Gram matrix, or null when not gathered
 * @param tokens calibration tokens behind the statistics
 */
public record TestLayer(
    String name,
    String block,
    int rows,
    int columns,
    float[] weightValues,
    double[] squareSums,
    double[] gram,
    long tokens)
    implements Layer {

  /**
   * A layer with weights only.
   *
   * @param rows output channels
   * @param columns input features
   * @param weights row-major weights
   * @return the layer
   */
  public static TestLayer of(int rows, int columns, float... weights) {
    return new TestLayer("w", "b", rows, columns, weights, null, null, 0);
  }

  /**
   * A layer with statistics computed from calibration inputs.
   *
   * @param block the block name
   * @param rows output channels
   * @param columns input features
   * @param weights row-major weights
   * @param x calibration inputs, {@code tokens × columns} row-major
   * @return the layer
   */
  public static TestLayer withInputs(
      String block, int rows, int columns, float[] weights, double[] x) {
    int tokens = x.length / columns;
    double[] sq = new double[columns];
    double[] g = new double[columns * columns];
    for (int t = 0; t < tokens; t++) {
      for (int i = 0; i < columns; i++) {
        double xi = x[t * columns + i];
        sq[i] += xi * xi;
        for (int j = 0; j < columns; j++) {
          g[i * columns + j] += xi * x[t * columns + j];
        }
      }
    }
    return new TestLayer("w", block, rows, columns, weights, sq, g, tokens);
  }

  @Override
  public FloatBuffer weights() {
    return FloatBuffer.wrap(weightValues).asReadOnlyBuffer();
  }

  @Override
  public double[] inputSquareSums() {
    if (squareSums == null) {
      throw new IllegalStateException("no activation norms");
    }
    return squareSums.clone();
  }

  @Override
  public DoubleBuffer inputGram() {
    if (gram == null) {
      throw new IllegalStateException("no Gram matrix");
    }
    return DoubleBuffer.wrap(gram).asReadOnlyBuffer();
  }
}
