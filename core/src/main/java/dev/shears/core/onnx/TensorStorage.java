package dev.shears.core.onnx;

/** How the writer stores pruned tensors. */
public enum TensorStorage {
  /** Dense tensors with the pruned weights set to zero (the default). */
  DENSE,
  /** ONNX {@code sparse_initializer}s with INT64 linear indices ({@link SparseStorage}). */
  SPARSE
}
