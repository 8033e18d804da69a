package dev.shears.core.calibration.source;

/** The {@code .npy} element types Shears reads; all little-endian (or byte-sized). */
public enum NpyDtype {
  FLOAT32("<f4", 4),
  FLOAT64("<f8", 8),
  INT64("<i8", 8),
  INT32("<i4", 4),
  UINT8("|u1", 1),
  BOOL("|b1", 1);

  private final String descr;
  private final int itemSize;

  NpyDtype(String descr, int itemSize) {
    this.descr = descr;
    this.itemSize = itemSize;
  }

  /** The numpy {@code descr} string, e.g. {@code <f4}. */
  public String descr() {
    return descr;
  }

  /** Bytes per element. */
  public int itemSize() {
    return itemSize;
  }

  /** Whether values are floating point. */
  public boolean isFloating() {
    return this == FLOAT32 || this == FLOAT64;
  }

  /**
   * Looks up a {@code descr}; {@code null} when it is not one Shears reads. Single-byte types have
   * no byte order, so numpy may write them as {@code |u1}, {@code <u1} or {@code u1}.
   */
  static NpyDtype fromDescr(String descr) {
    for (NpyDtype t : values()) {
      if (t.descr.equals(descr)) {
        return t;
      }
      if (t.itemSize == 1) {
        String bare = t.descr.substring(1);
        if (descr.equals(bare) || descr.equals("<" + bare) || descr.equals("=" + bare)) {
          return t;
        }
      }
    }
    return null;
  }
}
