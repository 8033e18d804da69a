package dev.shears.cli;

import dev.shears.core.report.BlockReport;
import dev.shears.core.report.PruneReport;
import java.io.PrintWriter;

/** The few lines a prune prints on stdout. */
final class Summary {
  private Summary() {}

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
