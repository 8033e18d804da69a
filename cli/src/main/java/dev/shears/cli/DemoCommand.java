package dev.shears.cli;

import dev.shears.api.SparsityPattern;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.report.PruneReport;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code shears demo}: prunes the bundled tinyclip-shapes model at 50%. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Prune the bundled tinyclip-shapes model at 50% into a temporary folder.")
final class DemoCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Path modelDir = BundledModels.tinyClip();
    Path outDir = Files.createTempDirectory("shears-demo-");
    Path output = outDir.resolve("tinyclip-shapes-pruned.onnx");
    Path report = outDir.resolve("report.json");
    PruneOptions options = new PruneOptions(0.5, SparsityPattern.unstructured(), "magnitude", "uniform",
        null, Map.of(), Mode.SEQUENTIAL, 0);
    PrintWriter out = spec.commandLine().getOut();
    out.println("demo: pruning " + modelDir.resolve("model.onnx") + " at 50% (magnitude, uniform)");
    PruneReport done = new PruneJob(modelDir.resolve("model.onnx"), output, report,
        SelectionRules.DEFAULT, options, ExternalDataPolicy.AUTO)
        .run(common.registry(), common.progress(), m -> {
          throw new IllegalStateException("the demo's strategies need no calibration");
        });
    Summary.print(done, out);
    out.println("report " + report);
    out.flush();
    return ShearsCommand.OK;
  }
}
