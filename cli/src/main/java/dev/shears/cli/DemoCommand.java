package dev.shears.cli;

import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.pruning.AutoSearch;
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

/** {@code shears demo}: prunes the bundled tinyclip-shapes model at 50% with the defaults. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Prune the bundled tinyclip-shapes model at 50%% (ECoFLaP + Wanda, sequential) into a temporary folder.")
final class DemoCommand implements Callable<Integer> {
  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Path modelDir = BundledModels.tinyClip();
    Path model = modelDir.resolve("model.onnx");
    Path outDir = Files.createTempDirectory("shears-demo-");
    Path output = outDir.resolve("tinyclip-shapes-pruned.onnx");
    Path report = outDir.resolve("report.html");
    // the defaults of shears prune, so that the demo shows what a user gets
    PruneOptions options = new PruneOptions(0.5, SparsityPattern.unstructured(), PruneOptions.DEFAULT_SCORER,
        PruneOptions.DEFAULT_ALLOCATOR, null, Map.of(), Mode.forLabel(PruneOptions.DEFAULT_MODE), 0);
    CalibrationConfig calibration = new CalibrationConfig(modelDir.resolve("calib"), null,
        CalibrationSources.Format.NPY, CalibrationConfig.DEFAULT_SAMPLES, 16, "auto");
    PrintWriter out = spec.commandLine().getOut();
    out.println("demo: pruning " + model + " at 50% (" + options.allocator() + " + " + options.scorer() + ", "
        + PruneOptions.DEFAULT_MODE + ", guarded by uniform: the defaults of shears prune)");
    out.flush();
    PruneReport done = new PruneJob(model, output, report, SelectionRules.DEFAULT, options, ExternalDataPolicy.AUTO)
        .run(common.progress(), m -> calibration.open(m, common.progress()), null,
            AutoSearch.guard(common.registry(), common.progress(), options));
    common.releaseNotes();
    Summary.printSearch(done, out);
    Summary.print(done, out);
    out.println("report " + report);
    out.println("next: ./shears eval " + output + " --data " + modelDir.resolve("eval") + " --reference " + model);
    out.flush();
    return ShearsCommand.OK;
  }
}
