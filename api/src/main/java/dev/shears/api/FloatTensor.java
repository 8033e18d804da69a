package dev.shears.api;

import java.util.Arrays;

/**
 * A dense float tensor handed to a {@link CalibrationLoss}: a shape and row-major values.
 *
 * @param shape the dimensions
 * @param data the values, row-major, of length the product of {@code shape}
 */
public record FloatTensor(long[] shape, float[] data) {
  /**
   * Checks that the data fits the shape.
   *
   * @param shape the dimensions
   * @param data the values
   */
  public FloatTensor {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
    }
  }

  /**
   * One dimension.
   *
   * @param axis the axis
   * @return its size
   */
  public int dim(int axis) {
    return Math.toIntExact(shape[axis]);
  }
}
