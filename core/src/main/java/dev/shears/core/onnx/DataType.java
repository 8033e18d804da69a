package dev.shears.core.onnx;

/** The ONNX tensor element types Shears reads or writes values of. */
public enum DataType {
  FLOAT(1, 4),
  UINT8(2, 1),
  INT8(3, 1),
  INT32(6, 4),
  INT64(7, 8),
  FLOAT16(10, 2),
  DOUBLE(11, 8),
  BFLOAT16(16, 2);

  private final int code;
  private final int bytes;

  DataType(int code, int bytes) {
    this.code = code;
    this.bytes = bytes;
  }

  /** The {@code TensorProto.DataType} number. */
  public int code() {
    return code;
  }

  /** Bytes per element in {@code raw_data} and external data. */
  public int bytes() {
    return bytes;
  }

  /** Whether pruning handles this type (the float types). */
  public boolean isPrunableFloat() {
    return this == FLOAT || this == FLOAT16 || this == BFLOAT16;
  }

  /** The type with this code, or {@code null} for a type Shears does not handle. */
  public static DataType ofCode(int code) {
    for (DataType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }

  /** A readable name for any ONNX type code, also ones Shears does not handle. */
  public static String nameOf(int code) {
    DataType t = ofCode(code);
    if (t != null) {
      return t.name().toLowerCase(java.util.Locale.ROOT);
    }
    return switch (code) {
      case 4 -> "uint16";
      case 5 -> "int16";
      case 8 -> "string";
      case 9 -> "bool";
      case 12 -> "uint32";
      case 13 -> "uint64";
      case 14 -> "complex64";
      case 15 -> "complex128";
      case 17, 18, 19, 20 -> "float8";
      case 21 -> "uint4";
      case 22 -> "int4";
      case 23 -> "float4";
      default -> "type " + code;
    };
  }
}
