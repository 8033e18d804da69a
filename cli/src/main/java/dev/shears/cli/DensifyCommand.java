package dev.shears.cli;

import dev.shears.core.ShearsException;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.onnx.SparseStorage;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shears densify}: sparse initializers back to dense tensors. */
@Command(name = "densify", mixinStandardHelpOptions = true,
    description = "Turn a model's sparse_initializers (shears prune --storage sparse) back into dense tensors.")
final class DensifyCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "IN", description = "The .onnx file with sparse initializers.")
  Path input;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true,
      description = "Write the dense model here (may be IN: replaced atomically).")
  Path output;

  @Option(names = "--external-data", paramLabel = "WHEN", defaultValue = "auto",
      description = "auto, always or never store weights in OUT.data (default: ${DEFAULT-VALUE}).")
  String externalData;

  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    ExternalDataPolicy policy = switch (externalData) {
      case "auto" -> ExternalDataPolicy.AUTO;
      case "always" -> ExternalDataPolicy.ALWAYS;
      case "never" -> ExternalDataPolicy.NEVER;
      default -> throw new dev.shears.api.InvalidConfigurationException(
          "--external-data must be auto, always or never, got '" + externalData + "'");
    };
    if (Files.isDirectory(output)) {
      throw new dev.shears.api.InvalidConfigurationException("-o " + output
          + ": is a folder; give the file to write, like " + output.resolve("model.onnx"));
    }
    PrintWriter out = spec.commandLine().getOut();
    try (ModelFile m = ModelFile.read(input)) {
      int n = m.proto().getGraph().getSparseInitializerCount();
      ModelProto dense = SparseStorage.densify(m.proto(), input.toString());
      if (output.toAbsolutePath().getParent() == null) {
        throw new ShearsException("-o " + output + ": no folder");
      }
      ModelWriter.write(dense, m, output, policy);
      out.println("densified " + n + " sparse initializer" + (n == 1 ? "" : "s") + "; wrote " + output);
    }
    out.flush();
    return ShearsCommand.OK;
  }
}
