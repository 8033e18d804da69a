package dev.shears.core.pruning;

import dev.shears.core.ShearsException;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.onnx.SparseStorage;
import dev.shears.core.onnx.TensorStorage;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.report.ReportWriter;
import dev.shears.core.report.RunEnvironment;
import dev.shears.core.report.TensorReport;
import dev.shears.core.strategy.StrategyRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A whole prune from file to file: read, inventory, pipeline, atomic write, report. Shared
 * by {@code shears prune} and {@code shears demo}.
 *
 * @param input the model to read
 * @param output where to write; may equal {@code input} for an in-place conversion
 * @param report where to write the JSON report, or {@code null}
 * @param rules include/exclude rules
 * @param options strategies and targets
 * @param externalData when the output uses external data
 * @param storage dense zeros or sparse initializers for the pruned tensors
 */
public record PruneJob(
    Path input,
    Path output,
    Path report,
    SelectionRules rules,
    PruneOptions options,
    ExternalDataPolicy externalData,
    TensorStorage storage) {

  /** A job writing dense tensors. */
  public PruneJob(Path input, Path output, Path report, SelectionRules rules, PruneOptions options,
      ExternalDataPolicy externalData) {
    this(input, output, report, rules, options, externalData, TensorStorage.DENSE);
  }

  /**
   * For a model whose weights are stored as sparse initializers (prune --storage sparse) and
   * that therefore has no dense prunable weight: what to do, on one line; else null.
   */
  public static String sparseInitializersProblem(ModelFile model, Inventory inventory) {
    int n = model.proto().getGraph().getSparseInitializerCount();
    if (n == 0 || !inventory.prunable().isEmpty()) {
      return null;
    }
    return model.path() + ": holds " + n + " sparse initializer" + (n == 1 ? "" : "s")
        + " (written with --storage sparse) and no dense prunable weights; run 'shears densify "
        + model.path() + " -o DENSE.onnx' first";
  }

  /** With an N:M pattern, says which tensors keep trailing columns dense (width not a multiple of M). */
  private void noteTrailingColumns(Inventory inventory, Progress progress) {
    if (options.pattern().isUnstructured()) {
      return;
    }
    int m = options.pattern().m();
    java.util.List<dev.shears.core.graph.PrunableTensor> uneven = inventory.prunable().stream()
        .filter(t -> t.columns() % m != 0).toList();
    if (!uneven.isEmpty()) {
      var first = uneven.get(0);
      progress.note("note: --pattern " + options.pattern() + ": " + uneven.size() + " of "
          + inventory.prunable().size() + " tensors have an input width that is not a multiple of " + m
          + "; their trailing columns after the last full group of " + m + " stay dense (like " + first.name()
          + ": " + first.columns() + " columns, the last " + (first.columns() % m) + " dense)");
    }
  }

  /**
   * Runs the job.
   *
   * @param engines opens the calibration engine for the model when a strategy needs evidence
   */
  public PruneReport run(StrategyRegistry registry, Progress progress,
      Function<ModelFile, StatisticsEngine> engines) {
    return run(registry, progress, engines, null);
  }

  /**
   * Runs the job, verifying the written model before the report is written (once, with the
   * fidelity in it).
   *
   * @param engines opens the calibration engine for the model when a strategy needs evidence
   * @param verifier measures the written output's fidelity, or {@code null} for none
   */
  public PruneReport run(StrategyRegistry registry, Progress progress,
      Function<ModelFile, StatisticsEngine> engines,
      Function<Path, java.util.Map<String, dev.shears.core.evaluation.Fidelity.OutputFidelity>> verifier) {
    return run(progress, engines, verifier,
        (model, inventory, engine) -> new PruningPipeline(registry, progress).run(model, inventory, options, engine));
  }

  /** What turns the model read into pruned tensors and a report: one pipeline run, or a search over several. */
  @FunctionalInterface
  public interface Pruner {
    PruningPipeline.Result prune(ModelFile model, Inventory inventory, java.util.function.Supplier<StatisticsEngine> engines);
  }

  /**
   * Runs the job with {@code pruner} in place of the pipeline (the read, the checks, the atomic
   * write, the verification and the report are the same).
   */
  public PruneReport run(Progress progress, Function<ModelFile, StatisticsEngine> engines,
      Function<Path, java.util.Map<String, dev.shears.core.evaluation.Fidelity.OutputFidelity>> verifier,
      Pruner pruner) {
    Path dir = output.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new ShearsException("-o " + output + ": the folder " + dir + " does not exist");
    }
    if (report != null) {
      Path rdir = report.toAbsolutePath().getParent();
      if (rdir == null || !Files.isDirectory(rdir)) {
        throw new ShearsException("--report " + report + ": the folder " + rdir + " does not exist");
      }
    }
    long start = System.nanoTime();
    try (ModelFile model = ModelFile.read(input)) {
      Inventory inventory = Inventory.of(model.proto().getGraph(), rules);
      String sparse = sparseInitializersProblem(model, inventory);
      if (sparse != null) {
        throw new ShearsException(sparse);
      }
      noteTrailingColumns(inventory, progress);
      try (PruningPipeline.Result result = pruner.prune(model, inventory, () -> engines.apply(model))) {
        long writeStart = System.nanoTime();
        if (storage == TensorStorage.SPARSE) {
          ModelProto written = SparseStorage.toSparse(result.toModel(model), model,
              result.report().tensors().stream().map(TensorReport::name).toList());
          progress.note(SparseStorage.describeSavings(written));
          ModelWriter.write(written, model, output, externalData);
        } else {
          // streams each pruned tensor from the store: never all new values in memory at once
          ModelWriter.write(model.proto(), model, result.pruned(), output, externalData);
        }
        PruneReport written = result.report().withOutput(output.toString())
            .withEnvironment(RunEnvironment.capture(result.device() == null ? "none (data-free: no forward passes)"
                : result.device(), options.seed()));
        written.settings().put("storage", storage.name().toLowerCase(java.util.Locale.ROOT));
        written.timingsSeconds().put("write", (System.nanoTime() - writeStart) / 1e9);
        written.timingsSeconds().put("total", (System.nanoTime() - start) / 1e9);
        PruneReport done = written;
        if (verifier != null) {
          done = done.withFidelity(verifier.apply(output));
        }
        if (report != null) {
          ReportWriter.write(done, report);
        }
        return done;
      }
    }
  }
}
