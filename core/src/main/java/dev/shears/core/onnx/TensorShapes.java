package dev.shears.core.onnx;

import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.nio.file.Path;

/** Element and byte counts of tensors, checked for overflow before anything is allocated. */
public final class TensorShapes {
  private TensorShapes() {}

  /** The number of elements, refusing negative dims and counts beyond a long. */
  public static long elementCount(Path file, TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      if (d < 0) {
        throw new ModelFormatException(file + ": tensor '" + t.getName() + "' has a negative dimension " + d);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new ModelFormatException(file + ": tensor '" + t.getName() + "' declares more elements than can exist");
      }
    }
    return n;
  }

  /** Bytes the tensor's values take in raw form; fails for types without a fixed width. */
  public static long byteSize(Path file, TensorProto t) {
    DataType type = DataType.ofCode(t.getDataType());
    long n = elementCount(file, t);
    if (type == null) {
      return -1;
    }
    try {
      return Math.multiplyExact(n, type.bytes());
    } catch (ArithmeticException e) {
      throw new ModelFormatException(file + ": tensor '" + t.getName() + "' declares more bytes than can exist");
    }
  }
}
