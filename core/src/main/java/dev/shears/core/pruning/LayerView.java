package dev.shears.core.pruning;

import dev.shears.api.Layer;
import dev.shears.api.RunContext;
import dev.shears.api.SubLayer;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.PrunableTensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.function.Supplier;

/** The {@link Layer} a strategy sees: one tensor's weights and its calibration statistics. */
final class LayerView implements Layer {
  private final PrunableTensor tensor;
  private final Supplier<float[]> loader;
  private final LayerStatistics stats;
  private final RunContext context;
  private float[] weights;

  /** The weights are read on first use: an allocator may never look at them. */
  LayerView(PrunableTensor tensor, Supplier<float[]> loader, LayerStatistics stats, RunContext context) {
    this.tensor = tensor;
    this.loader = loader;
    this.stats = stats;
    this.context = context;
  }

  PrunableTensor tensor() {
    return tensor;
  }

  synchronized float[] weightArray() {
    if (weights == null) {
      weights = loader.get();
    }
    return weights;
  }

  @Override
  public String name() {
    return tensor.name();
  }

  @Override
  public List<String> nodes() {
    return tensor.consumers().stream().map(Consumer::node).toList();
  }

  @Override
  public RunContext context() {
    if (context == null) {
      throw new UnsupportedOperationException("no run context for " + tensor.name());
    }
    return context;
  }

  @Override
  public String block() {
    return tensor.block();
  }

  @Override
  public SubLayer subLayer() {
    return tensor.subLayer();
  }

  @Override
  public int rows() {
    return tensor.rows();
  }

  @Override
  public int columns() {
    return tensor.columns();
  }

  @Override
  public FloatBuffer weights() {
    return FloatBuffer.wrap(weightArray()).asReadOnlyBuffer();
  }

  @Override
  public double[] inputSquareSums() {
    if (stats == null || stats.squareSums() == null) {
      throw new IllegalStateException("activation norms of " + tensor.name()
          + " were not gathered: the strategy must declare Evidence.ACTIVATION_NORMS");
    }
    return stats.squareSums().clone();
  }

  @Override
  public double[] inputAbsSums() {
    if (stats == null || stats.absSums() == null) {
      throw new IllegalStateException("absolute input sums of " + tensor.name()
          + " were not gathered: the strategy must declare Evidence.ACTIVATION_ABS_SUMS");
    }
    return stats.absSums().clone();
  }

  @Override
  public double[] inputAbsMax() {
    if (stats == null || stats.absMax() == null) {
      throw new IllegalStateException("absolute input maxima of " + tensor.name()
          + " were not gathered: the strategy must declare Evidence.ACTIVATION_ABS_MAX");
    }
    return stats.absMax().clone();
  }

  @Override
  public DoubleBuffer inputGram() {
    if (stats == null || stats.gram() == null) {
      throw new IllegalStateException("the input Gram matrix of " + tensor.name()
          + " was not gathered: the strategy must declare Evidence.INPUT_GRAM");
    }
    return DoubleBuffer.wrap(stats.gram()).asReadOnlyBuffer();
  }

  @Override
  public long tokens() {
    return stats == null ? 0 : stats.tokens();
  }
}
