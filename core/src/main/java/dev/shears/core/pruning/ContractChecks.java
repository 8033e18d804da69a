package dev.shears.core.pruning;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.SparsityPattern;
import dev.shears.core.PluginFailure;
import dev.shears.core.graph.PrunableTensor;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the pipeline checks in every strategy's answer before using it. A scorer must remove
 * exactly what {@link MaskSelection} would for the target (same counting rule, whatever its
 * ranking), stay inside the tensor and keep its updated weights finite; an allocator must give
 * every block (or every layer of a block it splits), and only the known blocks and layers, a
 * sparsity in {@code [0, 1)}.
 */
final class ContractChecks {
  private ContractChecks() {}

  /**
   * Checks one scorer result.
   *
   * @param who the scorer
   * @param tensor how the tensor is named in messages
   * @param rows output channels
   * @param columns input features
   * @param target what was asked
   * @param group the scorer's declared group
   * @param result what it answered
   * @throws PluginFailure naming the scorer when the result breaks the contract
   */
  static void scorerResult(PluginFailure.Strategy who, String tensor, int rows, int columns,
      LayerTarget target, MaskSelection.Group group, PruneResult result) {
    long size = (long) rows * columns;
    BitSet pruned = result.pruned();
    if (pruned.length() > size) {
      throw PluginFailure.refused(who, "returned mask index " + (pruned.length() - 1) + " outside "
          + tensor + " of " + size + " weights");
    }
    float[] updated = result.updatedWeights();
    if (updated != null) {
      if (updated.length != size) {
        throw PluginFailure.refused(who, "returned " + updated.length + " updated weights for " + tensor
            + " of " + size + " weights");
      }
      for (int i = 0; i < updated.length; i++) {
        if (!Float.isFinite(updated[i]) && !pruned.get(i)) {
          throw PluginFailure.refused(who, "returned a non-finite updated weight (" + updated[i] + ") at row "
              + i / columns + ", column " + i % columns + " of " + tensor);
        }
      }
    }
    SparsityPattern pattern = target.pattern();
    String s = String.format(Locale.ROOT, "%s", target.sparsity());
    if (!pattern.isUnstructured()) {
      int m = pattern.m();
      int drop = m - pattern.n();
      int runs = columns / m;
      for (int r = 0; r < rows; r++) {
        long base = (long) r * columns;
        for (int k = 0; k <= runs; k++) {
          int from = k * m;
          int to = Math.min(columns, from + m);
          if (from >= to) {
            continue;
          }
          int want = k < runs ? drop : 0;
          int got = count(pruned, base + from, base + to);
          if (got != want) {
            throw PluginFailure.refused(who, "pruned " + got + " weights in columns " + from + ".." + (to - 1)
                + " of row " + r + " of " + tensor + "; pattern " + pattern + " requires " + want
                + (k < runs ? " in every run of " + m + " columns" : " in the trailing partial run, which stays dense"));
          }
        }
      }
      return;
    }
    if (group == MaskSelection.Group.PER_TENSOR) {
      long want = (long) Math.floor((double) size * target.sparsity());
      long got = pruned.cardinality();
      if (got != want) {
        throw PluginFailure.refused(who, "pruned " + got + " weights of " + tensor + "; per-tensor sparsity " + s
            + " requires floor(" + rows + " x " + columns + " x " + s + ") = " + want);
      }
      return;
    }
    int want = (int) Math.floor(columns * target.sparsity());
    int[] perRow = new int[rows];
    for (int i = pruned.nextSetBit(0); i >= 0; i = pruned.nextSetBit(i + 1)) {
      perRow[i / columns]++;
    }
    for (int r = 0; r < rows; r++) {
      if (perRow[r] != want) {
        throw PluginFailure.refused(who, "pruned " + perRow[r] + " weights in row " + r + " of " + tensor
            + "; per-row sparsity " + s + " requires floor(" + columns + " x " + s + ") = " + want
            + " in every row (a scorer that ranks the whole tensor declares Scorer.group() PER_TENSOR)");
      }
    }
  }

  private static int count(BitSet bits, long from, long to) {
    int n = 0;
    for (int i = bits.nextSetBit((int) from); i >= 0 && i < to; i = bits.nextSetBit(i + 1)) {
      n++;
    }
    return n;
  }

  /**
   * Checks an allocation that may split blocks among their layers, and resolves it per tensor.
   *
   * @param who the allocator
   * @param blocks the prunable tensors by block, in block order
   * @param decided what it answered: block names, or for a split block all its layers' names
   * @return the sparsity of every tensor, in block and tensor order
   * @throws PluginFailure naming the allocator when a block or layer is missing, unknown,
   *     given twice or out of range
   */
  static Map<String, Double> perTensor(PluginFailure.Strategy who, Map<String, List<PrunableTensor>> blocks,
      Map<String, Double> decided) {
    if (decided == null) {
      throw PluginFailure.refused(who, "returned no allocation (null)");
    }
    // split blocks are checked here, layer by layer, and stand in the block check as one entry
    Map<String, Double> asBlocks = new LinkedHashMap<>(decided);
    Map<String, Boolean> split = new LinkedHashMap<>();
    for (Map.Entry<String, List<PrunableTensor>> e : blocks.entrySet()) {
      String block = e.getKey();
      List<PrunableTensor> tensors = e.getValue();
      long named = tensors.stream().filter(t -> decided.containsKey(t.name())).count();
      split.put(block, named > 0);
      if (named == 0) {
        continue;
      }
      if (decided.containsKey(block)) {
        throw PluginFailure.refused(who, "gave block " + block + " a sparsity and also split it among its layers");
      }
      for (PrunableTensor t : tensors) {
        Double s = decided.get(t.name());
        if (s == null || !(s >= 0 && s < 1)) {
          throw PluginFailure.refused(who, "split block " + block + " but gave its layer " + t.name()
              + " sparsity " + s + "; every layer of a split block needs a value in [0, 1)");
        }
        asBlocks.remove(t.name());
      }
      asBlocks.put(block, BudgetPlan.weightedMean(tensors, decided));
    }
    Map<String, Double> checked = allocation(who, List.copyOf(blocks.keySet()), asBlocks);
    Map<String, Double> out = new LinkedHashMap<>();
    blocks.forEach((block, tensors) -> tensors.forEach(t ->
        out.put(t.name(), split.get(block) ? decided.get(t.name()) : checked.get(block))));
    return out;
  }

  /**
   * Checks an allocation.
   *
   * @param who the allocator
   * @param blocks the block names, in order
   * @param decided what it answered
   * @return the sparsity of every block, in block order
   * @throws PluginFailure naming the allocator when a block is missing, unknown or out of range
   */
  static Map<String, Double> allocation(PluginFailure.Strategy who, List<String> blocks,
      Map<String, Double> decided) {
    if (decided == null) {
      throw PluginFailure.refused(who, "returned no allocation (null)");
    }
    Map<String, Double> checked = new java.util.LinkedHashMap<>();
    for (String b : blocks) {
      Double s = decided.get(b);
      if (s == null || !(s >= 0 && s < 1)) {
        throw PluginFailure.refused(who, "gave block " + b + " sparsity " + s
            + "; every block needs a value in [0, 1)");
      }
      checked.put(b, s);
    }
    if (decided.size() != checked.size()) {
      String unknown = decided.keySet().stream().filter(b -> !checked.containsKey(b))
          .map(String::valueOf).sorted().findFirst().orElse("?");
      throw PluginFailure.refused(who, "gave a sparsity to unknown block '" + unknown + "' (the model's blocks are "
          + blocks.get(0) + " ... " + blocks.get(blocks.size() - 1) + ")");
    }
    return checked;
  }
}
