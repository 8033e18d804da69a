package dev.shears.plugins.scoring;

import dev.shears.api.Evidence;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.Scorer;
import dev.shears.api.SparsityPattern;
import java.nio.FloatBuffer;
import java.util.BitSet;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * SparseGPT (Frantar and Alistarh 2023, Algorithm 1 and the reference {@code fasterprune}):
 * prunes columns left to right in blocks, choosing each block's victims by
 * {@code w² / [U]_cc²} with {@code U} the upper Cholesky factor of {@code H⁻¹}, and moves
 * each removed weight's error onto the row's later weights with the optimal-brain-surgeon
 * update, so the weights that stay change too.
 *
 * <p>Counts agree with {@link MaskSelection}: the block {@code [c0, c1)} prunes
 * {@code floor(c1 s) - floor(c0 s)} weights per row (per-row groups) or
 * {@code floor(rows c1 s) - floor(rows c0 s)} over all rows (per-tensor), which sums to
 * exactly what magnitude pruning removes. Under N:M every run of {@code m} columns loses its
 * {@code m - n} lowest, chosen when the run is reached (after the updates from its left), and
 * block boundaries are multiples of {@code m} so that no run straddles two blocks.
 *
 * <p>With {@code refit > 0} the kept weights of each row are then refitted to the least-squares
 * optimum for the final mask ({@link KeptWeightRefit}); the mask itself does not change.
 *
 * <p>Rows are independent once {@code U} and a block's mask are known, so they run in
 * parallel; only the per-tensor choice of a block's mask looks at all rows at once.
 */
public final class SparseGptScorer implements Scorer {
  private final MaskSelection.Group group;
  private final int blockSize;
  private final double dampening;
  private final int refit;
  private final int measurementRefit;
  /**
   * At most 256 MiB or an eighth of the heap of factors kept for reuse within the run; shared
   * with the {@link #forLossMeasurements()} variant, whose factors the final prune then reuses.
   */
  private final FactorCache factors;

  /**
   * Creates the scorer as the paper defines it, without a refit.
   *
   * @param group which weights compete (ignored under N:M)
   * @param blockSize columns per block, at least one
   * @param dampening fraction of the mean Hessian diagonal added to it, non-negative
   */
  public SparseGptScorer(MaskSelection.Group group, int blockSize, double dampening) {
    this(group, blockSize, dampening, 0);
  }

  /**
   * Creates the scorer with a refit of the kept weights after SparseGPT's pass, the same in
   * loss measurements.
   *
   * @param group which weights compete (ignored under N:M)
   * @param blockSize columns per block, at least one
   * @param dampening fraction of the mean Hessian diagonal added to it, non-negative
   * @param refit conjugate-gradient steps of {@link KeptWeightRefit} per row; 0 keeps the
   *     paper's weights
   */
  public SparseGptScorer(MaskSelection.Group group, int blockSize, double dampening, int refit) {
    this(group, blockSize, dampening, refit, refit);
  }

  /**
   * Creates the scorer.
   *
   * @param group which weights compete (ignored under N:M)
   * @param blockSize columns per block, at least one
   * @param dampening fraction of the mean Hessian diagonal added to it, non-negative
   * @param refit conjugate-gradient steps of {@link KeptWeightRefit} per row; 0 keeps the
   *     paper's weights
   * @param measurementRefit the steps of the {@link #forLossMeasurements()} variant
   */
  public SparseGptScorer(
      MaskSelection.Group group, int blockSize, double dampening, int refit, int measurementRefit) {
    if (blockSize < 1 || !(dampening >= 0) || refit < 0 || measurementRefit < 0) {
      throw new IllegalArgumentException("blockSize must be >= 1, dampening >= 0 and refits >= 0: "
          + blockSize + ", " + dampening + ", " + refit + ", " + measurementRefit);
    }
    this.group = group;
    this.blockSize = blockSize;
    this.dampening = dampening;
    this.refit = refit;
    this.measurementRefit = measurementRefit;
    this.factors = new FactorCache(Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8));
  }

  private SparseGptScorer(SparseGptScorer of, int refit) {
    this.group = of.group;
    this.blockSize = of.blockSize;
    this.dampening = of.dampening;
    this.refit = refit;
    this.measurementRefit = refit;
    this.factors = of.factors;
  }

  @Override
  public MaskSelection.Group group() {
    return group;
  }

  @Override
  public Set<Evidence> evidence() {
    return Set.of(Evidence.INPUT_GRAM);
  }

  /**
   * Without the refit: it lowers every block's loss, and the measurements only rank blocks, at
   * several times the cost of a whole prune (all-MiniLM-L6-v2 at 50%: the same cosine, README).
   */
  @Override
  public Scorer forLossMeasurements() {
    return measurementRefit == refit ? this : new SparseGptScorer(this, measurementRefit);
  }

  @Override
  public PruneResult prune(Layer layer, LayerTarget target) {
    return new Run(layer, target).prune();
  }

  /** The state of pruning one layer. */
  private final class Run {
    private final int rows;
    private final int n;
    private final double sparsity;
    private final SparsityPattern pattern;
    private final double[] u;
    /** The weights being rewritten, row-major; the result. */
    private final float[] w;
    private final boolean[] mask;
    private final Layer layer;
    private final float[] original;

    Run(Layer layer, LayerTarget target) {
      this.layer = layer;
      rows = layer.rows();
      n = layer.columns();
      sparsity = target.sparsity();
      pattern = target.pattern();
      HessianFactor factor = factors.factor(layer, dampening);
      u = factor.upper();
      w = new float[rows * n];
      FloatBuffer source = layer.weights();
      source.get(0, w);
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < n; c++) {
          if (factor.dead()[c]) {
            w[r * n + c] = 0;
          }
        }
      }
      mask = new boolean[rows * n];
      original = refit > 0 ? w.clone() : null;
    }

    PruneResult prune() {
      boolean nOfM = !pattern.isUnstructured();
      int block = nOfM ? Math.max(pattern.m(), blockSize / pattern.m() * pattern.m()) : blockSize;
      for (int c0 = 0; c0 < n; c0 += block) {
        int from = c0;
        int to = Math.min(n, c0 + block);
        if (!nOfM) {
          if (group == MaskSelection.Group.PER_TENSOR) {
            markBlockPerTensor(from, to);
          } else {
            IntStream.range(0, rows).parallel().forEach(r -> markBlockInRow(r, from, to));
          }
        }
        IntStream.range(0, rows).parallel().forEach(r -> compensate(r, from, to));
      }
      if (refit > 0) {
        KeptWeightRefit fit = new KeptWeightRefit(DampedHessian.of(layer, dampening), refit);
        IntStream.range(0, rows).parallel().forEach(r -> fit.refitRow(original, w, mask, r * n));
      }
      BitSet pruned = new BitSet(mask.length);
      for (int i = 0; i < mask.length; i++) {
        if (mask[i]) {
          pruned.set(i);
        }
      }
      return new PruneResult(pruned, w);
    }

    /** The saliency of weight (r, c) given its current value: {@code w² / U_cc²}. */
    private double saliency(int r, int c, double value) {
      double d = u[c * n + c];
      return value * value / (d * d);
    }

    private void markBlockInRow(int r, int from, int to) {
      int k = (int) Math.floor(to * sparsity) - (int) Math.floor(from * sparsity);
      double[] scores = new double[to - from];
      for (int c = from; c < to; c++) {
        scores[c - from] = saliency(r, c, w[r * n + c]);
      }
      boolean[] marked = LowestScores.mark(scores, k);
      for (int i = 0; i < marked.length; i++) {
        mask[r * n + from + i] = marked[i];
      }
    }

    private void markBlockPerTensor(int from, int to) {
      long k =
          (long) Math.floor((double) ((long) rows * to) * sparsity)
              - (long) Math.floor((double) ((long) rows * from) * sparsity);
      int width = to - from;
      // Row-major over the block, so "lower index" means the same as in the whole tensor.
      double[] scores = new double[rows * width];
      for (int r = 0; r < rows; r++) {
        for (int c = from; c < to; c++) {
          scores[r * width + c - from] = saliency(r, c, w[r * n + c]);
        }
      }
      boolean[] marked = LowestScores.mark(scores, Math.toIntExact(k));
      for (int r = 0; r < rows; r++) {
        System.arraycopy(marked, r * width, mask, r * n + from, width);
      }
    }

    /** Under N:M, marks the {@code m - n} lowest of the run starting at column {@code c}. */
    private void markRun(int r, int c, double[] block, int offset) {
      int m = pattern.m();
      double[] scores = new double[m];
      for (int i = 0; i < m; i++) {
        scores[i] = saliency(r, c + i, block[offset + i]);
      }
      boolean[] marked = LowestScores.mark(scores, m - pattern.n());
      for (int i = 0; i < m; i++) {
        mask[r * n + c + i] = marked[i];
      }
    }

    /**
     * Prunes row {@code r} inside {@code [from, to)} one column at a time, each time moving
     * the error {@code (w - q) / U_cc} onto the block's later columns along row {@code c} of
     * {@code U}; then applies the block's accumulated errors to all columns right of the
     * block in one pass (the reference's lazy batch update).
     */
    private void compensate(int r, int from, int to) {
      int width = to - from;
      int base = r * n;
      double[] block = new double[width];
      for (int i = 0; i < width; i++) {
        block[i] = w[base + from + i];
      }
      double[] err = new double[width];
      int m = pattern.m();
      for (int i = 0; i < width; i++) {
        int c = from + i;
        if (m > 0 && c % m == 0 && c + m <= n) {
          markRun(r, c, block, i);
        }
        double q = mask[base + c] ? 0 : block[i];
        w[base + c] = (float) q;
        double e = (block[i] - q) / u[c * n + c];
        err[i] = e;
        if (e != 0) {
          int uRow = c * n + from;
          for (int j = i + 1; j < width; j++) {
            block[j] -= e * u[uRow + j];
          }
        }
      }
      if (to == n) {
        return;
      }
      double[] shift = new double[n - to];
      for (int i = 0; i < width; i++) {
        double e = err[i];
        if (e != 0) {
          int uRow = (from + i) * n + to;
          for (int c = 0; c < shift.length; c++) {
            shift[c] += e * u[uRow + c];
          }
        }
      }
      for (int c = 0; c < shift.length; c++) {
        w[base + to + c] = (float) (w[base + to + c] - shift[c]);
      }
    }
  }
}
