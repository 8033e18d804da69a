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

  BlockView(String name, String tower, List<Layer> layers, Double importance, RunContext context) {
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
}
