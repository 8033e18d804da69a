package dev.shears.api;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense float tensor handed to a {@link CalibrationLoss}: a shape and row-major values.
 *
 * <p>It cannot be changed: Shears hands the same tensor to several loss queries (the dense
 * model's outputs are computed once per batch), so a loss that wrote into it would corrupt the
 * queries after it. Read it with {@link #get(int)}, {@link #get(int, int)} or
 * {@link #values()}, which copy nothing; {@link #toArray()} copies.
 */
public final class FloatTensor {
  private final long[] shape;
  private final float[] values;

  private FloatTensor(long[] shape, float[] values) {
    this.shape = shape;
    this.values = values;
  }

  /**
   * A tensor over the given values, without copying them: the tensor takes ownership, and the
   * caller must not change the array afterwards.
   *
   * @param shape the dimensions (copied)
   * @param values the values, row-major, of length the product of {@code shape}
   * @return the tensor
   * @throws IllegalArgumentException when the number of values does not fit the shape
   */
  public static FloatTensor of(long[] shape, float[] values) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != values.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " does not hold " + values.length + " values");
    }
    return new FloatTensor(shape.clone(), values);
  }

  /**
   * The dimensions.
   *
   * @return a copy of the shape
   */
  public long[] shape() {
    return shape.clone();
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

  /**
   * The number of values, the product of the shape.
   *
   * @return the size
   */
  public int size() {
    return values.length;
  }

  /**
   * One value, by its row-major (flat) index.
   *
   * @param index from 0 to {@code size() - 1}
   * @return the value
   * @throws IndexOutOfBoundsException when the index is outside the tensor
   */
  public float get(int index) {
    return values[index];
  }

  /**
   * One value of a rank-2 tensor ({@code [rows, cols]}, for example logits).
   *
   * @param row the row, from 0 to {@code dim(0) - 1}
   * @param col the column, from 0 to {@code dim(1) - 1}
   * @return the value
   * @throws IllegalStateException when the tensor is not of rank 2
   * @throws IndexOutOfBoundsException when the row or column is outside the tensor
   */
  public float get(int row, int col) {
    if (shape.length != 2) {
      throw new IllegalStateException("get(row, col) needs a rank-2 tensor, not shape " + Arrays.toString(shape));
    }
    int cols = dim(1);
    return values[Objects.checkIndex(row, dim(0)) * cols + Objects.checkIndex(col, cols)];
  }

  /**
   * All values, row-major, as a read-only view: nothing is copied, and a {@code put} throws
   * {@link java.nio.ReadOnlyBufferException}.
   *
   * @return a read-only buffer positioned at 0, of {@link #size()} values
   */
  public FloatBuffer values() {
    return FloatBuffer.wrap(values).asReadOnlyBuffer();
  }

  /**
   * All values, row-major, in a new array the caller may change.
   *
   * @return a copy of the values
   */
  public float[] toArray() {
    return values.clone();
  }
}
