package dev.shears.core.pruning;

import dev.shears.api.Block;
import dev.shears.api.Layer;
import dev.shears.api.RunContext;
import java.util.List;

/** The {@link Block} an allocator sees. */
final class BlockView implements Block {
  private final String name;
  private final String tower;
  private final List<Layer> layers;
  private final Double importance;
  private final RunContext context;
  private final BlockSensitivity sensitivity;

  BlockView(String name, String tower, List<Layer> layers, Double importance, BlockSensitivity sensitivity,
      RunContext context) {
    this.sensitivity = sensitivity;
    this.name = name;
    this.tower = tower;
    this.layers = List.copyOf(layers);
    this.importance = importance;
    this.context = context;
  }

  @Override
  public RunContext context() {
    return context;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String tower() {
    return tower;
  }

  @Override
  public List<Layer> layers() {
    return layers;
  }

  @Override
  public double importance() {
    if (importance == null) {
      throw new IllegalStateException("zeroth-order importance of " + name
          + " was not gathered: the allocator must declare Evidence.ZEROTH_ORDER_IMPORTANCE");
    }
    return importance;
  }

  @Override
  public double lossIncrease(double sparsity) {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw new IllegalArgumentException("sparsity must be in [0, 1): " + sparsity);
    }
    if (sensitivity == null) {
      throw new IllegalStateException("the loss of block " + name + " pruned alone was not made available:"
          + " the allocator must declare Evidence.PRUNED_LOSS");
    }
    return sensitivity.lossIncrease(name, sparsity);
  }
}
