package dev.shears.core.pruning;

import dev.shears.api.LayerTarget;
import dev.shears.api.PruneResult;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.ModelFile;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/** One tensor pruned by the scorer, its result checked; and many tensors pruned on all cores. */
final class TensorPruning {
  private TensorPruning() {}

  /**
   * One tensor's new values, row-major.
   *
   * @param values the weights after pruning (pruned ones zero)
   * @param pruned how many the scorer pruned
   * @param zeros how many are zero
   */
  record Pruned(float[] values, long pruned, long zeros) {}

  /** Prunes one tensor with the scorer, checking its result against the target's pattern. */
  static Pruned prune(ModelFile model, PrunableTensor t, LayerStatistics stats, Guarded.GuardedScorer scorer,
      LayerTarget target) {
    LayerView view = new LayerView(t, () -> WeightCodec.readView(model, t), stats, scorer.context());
    PruneResult result = scorer.prune(view, target);
    // copy first: the scorer may still hold (and change) what it returned
    BitSet pruned = (BitSet) result.pruned().clone();
    float[] updated = result.updatedWeights() != null ? result.updatedWeights().clone() : null;
    result = new PruneResult(pruned, updated);
    ContractChecks.scorerResult(scorer.who(), Guarded.tensor(view), t.rows(), t.columns(), target,
        scorer.group(), result);
    // the view's array is ours and read for nothing else afterwards: zero it in place
    float[] values = updated != null ? updated : view.weightArray();
    for (int i = pruned.nextSetBit(0); i >= 0; i = pruned.nextSetBit(i + 1)) {
      values[i] = 0f;
    }
    long zeros = 0;
    for (float v : values) {
      if (v == 0f) {
        zeros++;
      }
    }
    return new Pruned(values, pruned.cardinality(), zeros);
  }

  /**
   * Runs {@code work} on every tensor, in parallel. A failure does not escape from a worker
   * thread (where it could come out wrapped differently from run to run): each is kept, later
   * tensors are skipped once one failed, and the failure of the first tensor in list order is
   * thrown, so identical runs report the same tensor with the same message.
   */
  static void inParallel(List<PrunableTensor> tensors, Consumer<PrunableTensor> work) {
    AtomicInteger firstFailed = new AtomicInteger(Integer.MAX_VALUE);
    RuntimeException[] failures = new RuntimeException[tensors.size()];
    IntStream.range(0, tensors.size()).parallel().forEach(i -> {
      if (i > firstFailed.get()) {
        return;
      }
      try {
        work.accept(tensors.get(i));
      } catch (RuntimeException e) {
        failures[i] = e;
        firstFailed.accumulateAndGet(i, Math::min);
      }
    });
    int first = firstFailed.get();
    if (first != Integer.MAX_VALUE) {
      throw failures[first];
    }
  }
}
