package dev.shears.cli;

import ai.onnxruntime.OrtEnvironment;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.ShearsException;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.source.InputSpec;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.calibration.source.ModelInputEncoder;
import dev.shears.core.evaluation.EmbeddingFidelity;
import dev.shears.core.evaluation.EvalDataset;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evaluation.EvalResult;
import dev.shears.core.evaluation.Evaluator;
import dev.shears.core.evaluation.Fidelity;
import dev.shears.core.evaluation.ModelRunner;
import dev.shears.core.report.ReportWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shears eval}: accuracy on a labelled folder, and fidelity against a reference model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluate a model on a labelled image folder, optionally against a reference model.",
        "DIR holds prompts.json ({\"classes\": [class prompts...], optional \"class_attributes\": "
            + "[{attr: value}...]}) and labels.jsonl (one line per image: {\"image\": \"rel/path.png\", "
            + "\"label\": class prompt, optional \"class_index\", optional \"text\" caption}), "
            + "the layout of tinyclip-shapes' eval/."})
final class EvalCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file to evaluate.")
  Path model;

  @Option(names = "--data", paramLabel = "DIR", required = true,
      description = "Evaluation folder with labels.jsonl and prompts.json; or unlabelled texts "
          + "(a .jsonl file, or a folder with captions.jsonl, of {\"text\": ...} lines) to compare "
          + "pooled embeddings with --reference.")
  Path data;

  @Option(names = "--reference", paramLabel = "DENSE",
      description = "A reference model (the dense original): report fidelity of MODEL's outputs against it.")
  Path reference;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "Use only the first N labelled images (default: all).")
  int limit;

  @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64",
      description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--model-dir", paramLabel = "DIR",
      description = "Folder with tokenizer.json and preprocessor_config.json (default: MODEL's folder, "
          + "else the reference's).")
  Path modelDir;

  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
      description = "cpu, auto, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
  String device;

  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (batchSize < 1) {
      throw new InvalidConfigurationException("--batch-size must be at least 1, got " + batchSize);
    }
    if (limit < 0) {
      throw new InvalidConfigurationException("--limit must not be negative, got " + limit);
    }
    if (Files.isRegularFile(data) && data.toString().endsWith(".jsonl")
        || !Files.exists(data.resolve("labels.jsonl")) && Files.exists(data.resolve("captions.jsonl"))) {
      return textFidelity();
    }
    EvalDataset dataset = EvalDataset.read(data, limit);
    requireImageInput();
    Path side = sideFiles();
    List<String> held = new java.util.ArrayList<>(); // the device line, printed once the run succeeded
    Device dev = Device.select(device, OrtEnvironment.getAvailableProviders(),
        Device.CudaProbe.onnxRuntime(), held::add);
    EvalResult result;
    try (ModelRunner m = ModelRunner.open(model, dev);
        ModelRunner ref = reference == null ? null : ModelRunner.open(reference, dev);
        ModelInputEncoder enc = ModelInputEncoder.open(side, m.inputs())) {
      result = new Evaluator(batchSize).evaluate(m, ref, enc, dataset);
    }
    if (!common.quiet) {
      held.forEach(spec.commandLine().getErr()::println);
      spec.commandLine().getErr().flush();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(ReportWriter.toJson(result));
    } else {
      print(result, out);
    }
    out.flush();
    return ShearsCommand.OK;
  }

  /**
   * Unlabelled texts (captions.jsonl with text-only lines): how close MODEL's pooled embeddings
   * stay to the reference's, sentence by sentence.
   */
  private int textFidelity() throws IOException {
    if (reference == null) {
      throw new InvalidConfigurationException("--data " + data + " holds unlabelled texts (captions.jsonl): "
          + "give --reference DENSE to measure fidelity against it");
    }
    Path side = sideFiles();
    List<String> held = new java.util.ArrayList<>(); // the device line, printed once the run succeeded
    Device dev = Device.select(device, OrtEnvironment.getAvailableProviders(),
        Device.CudaProbe.onnxRuntime(), held::add);
    EmbeddingFidelity.Result r;
    try (ModelRunner m = ModelRunner.open(model, dev); ModelRunner ref = ModelRunner.open(reference, dev)) {
      CalibrationSource texts = CalibrationSources.open(data, side, CalibrationSources.Format.CAPTIONS,
          limit, m.inputs());
      r = EmbeddingFidelity.measure(m, ref, texts, batchSize);
    }
    if (!common.quiet) {
      held.forEach(spec.commandLine().getErr()::println);
      spec.commandLine().getErr().flush();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(ReportWriter.toJson(r));
    } else {
      out.printf("model %s against %s on %d texts of %s%n", model, reference, r.sentences(), data);
      out.printf("  pooled %-20s mean cosine %.6f, min %.6f%n", r.output(), r.meanCosine(), r.minCosine());
    }
    out.flush();
    return ShearsCommand.OK;
  }

  /** An image folder needs a model with an image input: refused at once for a text-only model. */
  private void requireImageInput() {
    List<InputSpec> inputs;
    try (ModelFile m = ModelFile.read(model)) {
      inputs = CalibrationConfig.inputSpecs(m);
    }
    boolean image = inputs.stream().anyMatch(s -> s.type() == HostTensor.ElementType.FLOAT && s.rank() == 4);
    if (!image) {
      throw new InvalidConfigurationException("--data " + data + " is an image folder, but " + model
          + " has no image input (inputs: " + String.join(", ", inputs.stream().map(InputSpec::name).toList())
          + "); for a text model give unlabelled texts (a .jsonl of {\"text\": ...}) and --reference DENSE");
    }
  }

  private Path sideFiles() {
    if (modelDir != null) {
      if (!Files.isDirectory(modelDir)) {
        throw new ShearsException("--model-dir " + modelDir + ": no such folder");
      }
      return modelDir;
    }
    Path own = model.toAbsolutePath().getParent();
    if (hasSideFiles(own)) {
      return own;
    }
    if (reference != null) {
      Path refDir = reference.toAbsolutePath().getParent();
      if (hasSideFiles(refDir)) {
        return refDir;
      }
    }
    throw new InvalidConfigurationException(model + ": no tokenizer.json or preprocessor_config.json beside it"
        + (reference == null ? "" : " or beside --reference " + reference)
        + "; give --model-dir DIR, the folder the model came from (a pruned model written alone has no "
        + "side files; prune -o DIR/ writes them beside it)");
  }

  private static boolean hasSideFiles(Path dir) {
    return Files.isRegularFile(dir.resolve("tokenizer.json"))
        || Files.isRegularFile(dir.resolve("preprocessor_config.json"));
  }

  static void print(EvalResult r, PrintWriter out) {
    out.printf("model %s on %d images of %s (%d classes)%n", r.model(), r.images(), r.data(), r.classes());
    if (r.zeroShot() != null) {
      out.printf("  %-28s %7.4f%n", "zero-shot accuracy", r.zeroShot().accuracy());
      for (Map.Entry<String, Double> e : r.zeroShot().attributes().entrySet()) {
        out.printf("  %-28s %7.4f%n", "  " + e.getKey(), e.getValue());
      }
    }
    if (r.retrieval() != null) {
      out.printf("  %-28s %7.4f%n", "image->text R@1", r.retrieval().i2tR1());
      out.printf("  %-28s %7.4f%n", "image->text R@5", r.retrieval().i2tR5());
      out.printf("  %-28s %7.4f%n", "text->image R@1", r.retrieval().t2iR1());
      out.printf("  %-28s %7.4f%n", "text->image R@5", r.retrieval().t2iR5());
    }
    if (r.itmAccuracy() != null) {
      out.printf("  %-28s %7.4f%n", "image-text matching acc.", r.itmAccuracy());
    }
    if (r.fidelity() != null) {
      out.printf("against %s:%n", r.reference());
      out.printf("  %-20s %10s %10s %12s %8s%n", "output", "cosine", "row cos", "max |diff|", "top-1");
      for (Map.Entry<String, Fidelity.OutputFidelity> e : r.fidelity().entrySet()) {
        Fidelity.OutputFidelity f = e.getValue();
        out.printf("  %-20s %10.6f %10.6f %12.6g %8s%n", e.getKey(), f.cosine(), f.meanRowCosine(),
            f.maxAbsDiff(), f.top1Agreement() == null ? "-" : String.format("%.4f", f.top1Agreement()));
      }
      if (r.zeroShotAgreement() != null) {
        out.printf("  %-28s %7.4f%n", "zero-shot top-1 agreement", r.zeroShotAgreement());
      }
    }
    out.printf("(%.1f s)%n", r.seconds());
  }
}
