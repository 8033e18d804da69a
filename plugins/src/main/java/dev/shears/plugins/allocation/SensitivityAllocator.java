package dev.shears.plugins.allocation;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Layer;
import dev.shears.api.ZerothOrderSettings;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-block sparsity from measured sensitivity (ALGORITHM.md §1c): each block is pruned alone,
 * by the run's scorer, at a few sparsities around the target and the calibration loss is
 * measured ({@link Block#lossIncrease(double)}); the curves are made convex, and the
 * sparsities within the measured range that minimise the summed loss increase while removing
 * exactly {@code s · P} weights are chosen by {@link LossCurves#solve}. Inside each block the
 * down-projections (the MLP's {@code 4d → d} matrices) then take {@code downProjectionShift}
 * of every other layer's share, keeping the block's count: with SparseGPT's refit they lose the
 * least when pruned together with the rest, which a block's measurement alone cannot tell apart
 * (README, "Choosing the defaults").
 */
public final class SensitivityAllocator implements Allocator {
  /** The largest sparsity a block is measured or put at. */
  static final double MAX_SPARSITY = 0.99;

  private final double[] offsets;
  private final double maxSparsityDelta;
  private final double downProjectionShift;
  private final ZerothOrderSettings batches;

  /**
   * Creates the allocator without a down-projection shift: every layer of a block gets the
   * block's sparsity.
   *
   * @param offsets the measured sparsities, as offsets from the global target
   * @param maxSparsityDelta how far above the global sparsity a block may go, non-negative
   * @param batches the calibration samples and batch size the losses are measured on
   */
  public SensitivityAllocator(double[] offsets, double maxSparsityDelta, ZerothOrderSettings batches) {
    this(offsets, maxSparsityDelta, 0, batches);
  }

  /**
   * Creates the allocator.
   *
   * @param offsets the measured sparsities, as offsets from the global target
   * @param maxSparsityDelta how far above the global sparsity a block may go, non-negative
   * @param downProjectionShift how much less sparse than its block every layer but the
   *     down-projections is left (they take up the difference), in {@code [0, 1)}
   * @param batches the calibration samples and batch size the losses are measured on
   */
  public SensitivityAllocator(double[] offsets, double maxSparsityDelta, double downProjectionShift,
      ZerothOrderSettings batches) {
    if (offsets.length == 0) {
      throw new IllegalArgumentException("the grid needs at least one offset");
    }
    for (double o : offsets) {
      if (!Double.isFinite(o)) {
        throw new IllegalArgumentException("grid offsets must be finite: " + Arrays.toString(offsets));
      }
    }
    if (!(maxSparsityDelta >= 0)) {
      throw new IllegalArgumentException("maxSparsityDelta must be >= 0: " + maxSparsityDelta);
    }
    if (!(downProjectionShift >= 0 && downProjectionShift < 1)) {
      throw new IllegalArgumentException("downProjectionShift must be in [0, 1): " + downProjectionShift);
    }
    this.offsets = offsets.clone();
    this.maxSparsityDelta = maxSparsityDelta;
    this.downProjectionShift = downProjectionShift;
    this.batches = batches;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of(Evidence.PRUNED_LOSS);
  }

  @Override
  public ZerothOrderSettings zerothOrder() {
    return batches;
  }

  @Override
  public int lossEvaluationsPerBlock(double sparsity) {
    return grid(sparsity).length;
  }

  /**
   * The sparsities measured at this target: {@code s + offset}, clipped to
   * {@code [0, min(0.99, s + maxSparsityDelta)]} (never below {@code s}), rounded to 1e-9,
   * without repeats and without 0 (where the increase is 0 by definition), increasing.
   */
  double[] grid(double sparsity) {
    double hi = Math.max(sparsity, Math.min(MAX_SPARSITY, sparsity + maxSparsityDelta));
    TreeSet<Double> points = new TreeSet<>();
    for (double o : offsets) {
      double x = Math.min(hi, Math.max(0, sparsity + o));
      x = Math.round(x * 1e9) / 1e9;
      if (x > 0) {
        points.add(x);
      }
    }
    return points.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Override
  public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (sparsity == 0) {
      blocks.forEach(b -> out.put(b.name(), 0.0));
      return out;
    }
    double[] xs = grid(sparsity);
    if (xs.length == 0 || xs[xs.length - 1] < sparsity) {
      throw new InvalidConfigurationException("allocator.grid " + Arrays.toString(offsets)
          + " measures no sparsity at or above the target " + sparsity + "; add an offset >= 0");
    }
    // the curves start at the lowest point of the grid: at 0 (where the increase is 0 by
    // definition) when an offset reaches it, else at the lowest sparsity measured
    boolean fromZero = sparsity + Arrays.stream(offsets).min().orElseThrow() <= 0;
    if (!fromZero && xs[0] > sparsity) {
      throw new InvalidConfigurationException("allocator.grid " + Arrays.toString(offsets)
          + " measures no sparsity at or below the target " + sparsity + "; add an offset <= 0");
    }
    int first = fromZero ? 1 : 0;
    long[] sizes = new long[blocks.size()];
    double[][][] curves = new double[blocks.size()][][];
    for (int g = 0; g < blocks.size(); g++) {
      Block block = blocks.get(g);
      sizes[g] = block.parameterCount();
      double[] x = new double[xs.length + first];
      double[] y = new double[xs.length + first];
      for (int i = 0; i < xs.length; i++) {
        x[i + first] = xs[i];
        y[i + first] = block.lossIncrease(xs[i]);
      }
      curves[g] = LossCurves.convexify(x, y);
    }
    double[] s = LossCurves.solve(sizes, curves, sparsity);
    for (int g = 0; g < blocks.size(); g++) {
      split(blocks.get(g), s[g], out);
    }
    return out;
  }

  /**
   * Whether a layer is a down-projection: outside attention, reading more features than it
   * writes (an MLP's second matrix, {@code 4d → d}).
   */
  static boolean isDownProjection(Layer layer) {
    return !layer.subLayer().isAttention() && layer.columns() > layer.rows();
  }

  /**
   * Puts sparsity {@code s} of {@code block} into {@code out}: under the block's name, or, when
   * the shift is positive and the block has down-projections and other layers, per layer: the
   * other layers at {@code s - shift} (not below 0) and the down-projections at what keeps the
   * block's count, {@code s + shift · O / D} for {@code O} other and {@code D} down-projection
   * weights (at most {@link #MAX_SPARSITY}, the other layers then taking the rest).
   */
  void split(Block block, double s, Map<String, Double> out) {
    long down = 0;
    long other = 0;
    for (Layer layer : block.layers()) {
      long n = (long) layer.rows() * layer.columns();
      if (isDownProjection(layer)) {
        down += n;
      } else {
        other += n;
      }
    }
    if (downProjectionShift == 0 || down == 0 || other == 0 || s == 0) {
      out.put(block.name(), s);
      return;
    }
    double total = (double) (down + other);
    double so = Math.max(0, s - downProjectionShift);
    double sd = (s * total - so * other) / down;
    if (sd > MAX_SPARSITY) {
      sd = MAX_SPARSITY;
      so = (s * total - sd * down) / other;
    }
    for (Layer layer : block.layers()) {
      out.put(layer.name(), isDownProjection(layer) ? sd : so);
    }
  }
}
