package dev.shears.core.calibration;

import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * A model input held in Java memory, before it is handed to ONNX Runtime.
 *
 * @param name the model input it feeds
 * @param type element type
 * @param shape dimensions; the first axis is the sample axis
 * @param data a {@link FloatBuffer} for {@link ElementType#FLOAT}, a {@link LongBuffer} for
 *     {@link ElementType#INT64}, holding exactly the product of {@code shape} values from
 *     position zero
 */
public record HostTensor(String name, ElementType type, long[] shape, Buffer data) {

  /** The element types calibration inputs come in. */
  public enum ElementType {
    FLOAT,
    INT64
  }

  public HostTensor {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    boolean typeOk =
        type == ElementType.FLOAT ? data instanceof FloatBuffer : data instanceof LongBuffer;
    if (!typeOk || data.remaining() != n) {
      throw new IllegalArgumentException(
          name + ": " + type + " " + Arrays.toString(shape) + " does not fit its buffer");
    }
  }

  public static HostTensor of(String name, long[] shape, float[] values) {
    return new HostTensor(name, ElementType.FLOAT, shape, FloatBuffer.wrap(values));
  }

  public static HostTensor of(String name, long[] shape, long[] values) {
    return new HostTensor(name, ElementType.INT64, shape, LongBuffer.wrap(values));
  }

  /** Number of samples: the size of the first axis. */
  public int samples() {
    return Math.toIntExact(shape[0]);
  }
}
