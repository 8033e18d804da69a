package dev.shears.core.graph;

/** How a 2-D weight is stored relative to the row-major (output × input) view. */
public enum WeightLayout {
  /** {@code [in, out]}: a MatMul's weight, or a Gemm's B without {@code transB}. */
  IN_OUT,
  /** {@code [out, in]}: a Gemm's B with {@code transB=1}. */
  OUT_IN;

  /** Position of view element (row, col) in stored order. */
  public int storedIndex(int row, int col, int rows, int cols) {
    return this == OUT_IN ? row * cols + col : col * rows + row;
  }
}
