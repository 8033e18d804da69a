package dev.shears.core.graph;

import dev.shears.api.SubLayer;
import dev.shears.core.onnx.DataType;
import java.util.List;

/**
 * One prunable weight: a 2-D float initializer multiplied by one or more MatMul/Gemm nodes.
 *
 * @param name the initializer's name
 * @param initializer its index in {@code graph.initializer}
 * @param block the block it belongs to (see {@link BlockNames})
 * @param tower the block's tower
 * @param dataType the stored element type
 * @param layout how it is stored relative to the output × input view
 * @param rows output channels
 * @param columns input features
 * @param consumers the nodes that use it, in graph order (one weight may feed several)
 * @param subLayer the residual sub-layer of its block it lies in (of its first consumer)
 */
public record PrunableTensor(
    String name,
    int initializer,
    String block,
    String tower,
    DataType dataType,
    WeightLayout layout,
    int rows,
    int columns,
    List<Consumer> consumers,
    SubLayer subLayer) {

  public PrunableTensor {
    consumers = List.copyOf(consumers);
  }

  /** A tensor whose sub-layer is not known. */
  public PrunableTensor(String name, int initializer, String block, String tower, DataType dataType,
      WeightLayout layout, int rows, int columns, List<Consumer> consumers) {
    this(name, initializer, block, tower, dataType, layout, rows, columns, consumers, SubLayer.UNKNOWN);
  }

  /** Number of weights. */
  public long parameters() {
    return (long) rows * columns;
  }

  /** The stored dims, as in the file. */
  public long[] storedShape() {
    return layout == WeightLayout.IN_OUT ? new long[] {columns, rows} : new long[] {rows, columns};
  }
}
