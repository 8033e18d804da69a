package dev.shears.core.calibration.source;

import dev.shears.core.calibration.HostTensor.ElementType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One model input that a calibration source must feed, as declared in the ONNX graph.
 *
 * @param name the graph input name
 * @param type the element type ONNX Runtime expects
 * @param shape the declared dimensions, {@code -1} for a symbolic (dynamic) dimension; axis 0 is
 *     the batch axis and is normally symbolic
 */
public record InputSpec(String name, ElementType type, long[] shape) {

  public InputSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    shape = shape.clone();
    for (long d : shape) {
      if (d < -1) {
        throw new IllegalArgumentException(name + ": bad dimension " + d);
      }
    }
  }

  /** The declared dimensions (a copy; {@code -1} for symbolic ones). */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The number of axes. */
  public int rank() {
    return shape.length;
  }

  /** The declared size of an axis, or {@code -1} when it is symbolic. */
  public long dim(int axis) {
    return shape[axis];
  }

  /** Whether an axis has a fixed size in the graph. */
  public boolean isStatic(int axis) {
    return shape[axis] >= 0;
  }

  /** The shape as ONNX tools print it, e.g. {@code [?, 3, 32, 32]}. */
  public String shapeString() {
    return formatShape(shape);
  }

  static String formatShape(long[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
    }
    return sb.append(']').toString();
  }

  // Records compare arrays by identity; specs are compared by value.
  @Override
  public boolean equals(Object o) {
    return o instanceof InputSpec s
        && name.equals(s.name)
        && type == s.type
        && Arrays.equals(shape, s.shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return name + " " + type + " " + formatShape(shape);
  }
}
