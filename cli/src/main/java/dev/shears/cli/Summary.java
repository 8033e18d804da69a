package dev.shears.cli;

import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.report.BlockReport;
import dev.shears.core.report.PruneReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The few lines a prune prints on stdout. */
final class Summary {
  private Summary() {}

  /** {@code --strategy auto}'s table: every candidate with its held-out loss and time, the winner, the cost. */
  @SuppressWarnings("unchecked")
  static void printSearch(PruneReport r, PrintWriter out) {
    Map<String, Object> s = r.search();
    if (s == null) {
      return;
    }
    List<Map<String, Object>> rows = (List<Map<String, Object>>) s.get("candidates");
    boolean guard = "guard".equals(s.get("strategy"));
    if (guard) {
      out.printf(Locale.ROOT, "allocation guard: %s against uniform, both pruned with all %d calibration samples, "
          + "scored by the %s loss on the last %d (dense model: %.6f)%n", rows.get(0).get("allocator"),
          s.get("calibrationSamples"), s.get("loss"), s.get("heldOutSamples"), (Double) s.get("denseLoss"));
    } else {
      out.printf(Locale.ROOT, "strategy auto: %s pruned with the first %d of %d calibration samples, "
          + "scored by the %s loss on the last %d (dense model: %.6f)%n",
          InspectCommand.plural(rows.size(), "candidate"), s.get("fitSamples"),
          s.get("calibrationSamples"), s.get("loss"), s.get("heldOutSamples"), (Double) s.get("denseLoss"));
    }
    out.printf(Locale.ROOT, "  %-2s %-11s %-10s %-10s %14s %14s %9s%n", "#", "allocator", "scorer", "mode",
        "held-out loss", "increase", "seconds");
    int i = 0;
    for (Map<String, Object> row : rows) {
      Object allocator = row.get("allocator");
      out.printf(Locale.ROOT, "  %-2d %-11s %-10s %-10s %14.6f %14.6f %9.3f%s%n", ++i,
          allocator == null ? "- (N:M)" : allocator, row.get("scorer"), row.get("mode"),
          (Double) row.get("heldOutLoss"), (Double) row.get("lossIncrease"), (Double) row.get("seconds"),
          Boolean.TRUE.equals(row.get("winner")) ? "  <- winner" : "");
    }
    Map<String, Object> w = (Map<String, Object>) s.get("winner");
    if (guard) {
      Map<String, Object> first = rows.get(0);
      out.printf(Locale.ROOT, "kept: %s + %s, %s (the model written); the guard cost %.3f s = %.2f x the %s prune "
          + "alone (%.3f s, estimated from its share)%n", w.get("allocator"), w.get("scorer"), w.get("mode"),
          (Double) s.get("seconds"), (Double) s.get("seconds") / (Double) s.get("firstAloneSeconds"),
          first.get("allocator"), (Double) s.get("firstAloneSeconds"));
      return;
    }
    out.printf(Locale.ROOT, "winner: %s%s, %s (the model written)%n",
        w.get("allocator") == null ? "" : w.get("allocator") + " + ", w.get("scorer"), w.get("mode"));
    out.printf(Locale.ROOT, "search: %.3f s = %.2f x the winner's own prune (%.3f s, estimated from its share); "
        + "the %d candidates one by one: %.3f s (estimated)%n", (Double) s.get("seconds"),
        (Double) s.get("costInWinnerPrunes"), (Double) s.get("winnerAloneSeconds"), rows.size(),
        (Double) s.get("oneByOneSeconds"));
    if (s.get("costInDefaultPrunes") != null) {
      out.printf(Locale.ROOT, "search: %.2f x one prune with the defaults (%s + %s, %s, guarded by uniform: %.3f s, "
          + "estimated from the two candidates' shares)%n", (Double) s.get("costInDefaultPrunes"),
          PruneOptions.DEFAULT_ALLOCATOR, PruneOptions.DEFAULT_SCORER, PruneOptions.DEFAULT_MODE,
          (Double) s.get("defaultAloneSeconds"));
    }
  }

  static void print(PruneReport r, PrintWriter out) {
    out.printf("pruned %,d of %,d prunable weights (%.2f%%) in %s of %s%n",
        r.totals().pruned(), r.totals().prunableParameters(), 100 * r.totals().sparsity(),
        InspectCommand.plural(r.tensors().size(), "tensor"), InspectCommand.plural(r.blocks().size(), "block"));
    if (r.totals().skippedInBlocks() > 0) {
      out.printf("over all %,d linear weights in the blocks: %.2f%% (%,d skipped weights stay dense; see shears inspect)%n",
          r.totals().prunableParameters() + r.totals().skippedInBlocks(),
          100 * r.totals().sparsityOfBlockLinearWeights(), r.totals().skippedInBlocks());
    }
    out.printf("%-44s %9s %9s%n", "block", "allocated", "achieved");
    for (BlockReport b : r.blocks()) {
      out.printf("%-44s %9.4f %9.4f%n", b.name(), b.allocatedSparsity(), b.achievedSparsity());
    }
    out.println("wrote " + r.output());
  }
}
