package dev.shears.cli;

import ai.onnxruntime.OrtEnvironment;
import dev.shears.api.Allocator;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Scorer;
import dev.shears.api.StrategyKind;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evaluation.Fidelity;
import dev.shears.core.evaluation.Verification;
import dev.shears.core.onnx.TensorStorage;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code shears prune}'s {@code --storage} and {@code --verify}, kept out of PruneCommand. */
final class PruneExtras {
  private PruneExtras() {}

  /** Parses {@code --storage} and checks that {@code --verify} has data; before any work. */
  static TensorStorage storage(String storage, boolean verify, CalibrationOptions calibration) {
    if (verify && calibration.calib == null) {
      throw new InvalidConfigurationException("--verify runs a calibration batch through both models: give --calib PATH");
    }
    return switch (storage.toLowerCase(Locale.ROOT)) {
      case "dense" -> TensorStorage.DENSE;
      case "sparse" -> TensorStorage.SPARSE;
      default -> throw new InvalidConfigurationException("--storage must be dense or sparse, got '" + storage + "'");
    };
  }

  /** The files a Hugging Face model folder keeps beside the model, copied by {@code -o DIR/}. */
  static final List<String> SIDE_FILES = List.of("config.json", "preprocessor_config.json", "tokenizer.json",
      "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "vocab.json", "merges.txt");

  /** Whether {@code -o} names a model folder: it ends in a slash. */
  static boolean namesFolder(String output) {
    return output.endsWith("/") || output.endsWith(java.io.File.separator);
  }

  /** {@code -o DIR/}: DIR is a folder or can be made (its parent exists), and is not MODEL's own. */
  static void checkModelFolder(Path dir, Path model) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new InvalidConfigurationException("-o " + dir + "/: is a file, not a folder");
    }
    Path parent = dir.toAbsolutePath().normalize().getParent();
    if (!Files.exists(dir) && (parent == null || !Files.isDirectory(parent))) {
      throw new InvalidConfigurationException("-o " + dir + "/: its parent folder " + parent + " does not exist");
    }
    Path own = model.toAbsolutePath().normalize().getParent();
    if (Files.isDirectory(dir) && own != null && Files.isDirectory(own)) {
      try {
        if (Files.isSameFile(dir, own)) {
          throw new InvalidConfigurationException("-o " + dir + "/: is MODEL's own folder; use --in-place, "
              + "or write the model folder elsewhere");
        }
      } catch (IOException e) {
        // cannot compare: go on
      }
    }
  }

  /** Creates the model folder if missing; returns whether it did. */
  static boolean createFolder(Path dir) {
    if (Files.isDirectory(dir)) {
      return false;
    }
    try {
      Files.createDirectory(dir);
      return true;
    } catch (IOException e) {
      throw new dev.shears.core.ShearsException("-o " + dir + "/: cannot create the folder (" + e.getMessage() + ")", e);
    }
  }

  /** Removes a folder this run created, when a failure left it empty. */
  static void removeIfEmpty(Path dir) {
    try (var s = Files.list(dir)) {
      if (s.findAny().isEmpty()) {
        Files.deleteIfExists(dir);
      }
    } catch (IOException ignored) {
      // best effort
    }
  }

  /**
   * Copies the side files found in {@code from} into {@code to}, each through a temporary file in
   * {@code to} moved into place, so that none is ever half-written.
   *
   * @return the names copied
   */
  static List<String> copySideFiles(Path from, Path to) {
    List<String> copied = new ArrayList<>();
    for (String name : SIDE_FILES) {
      Path src = from.resolve(name);
      if (!Files.isRegularFile(src, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try {
        dev.shears.core.onnx.AtomicOutput.copy(src, to.resolve(name));
        copied.add(name);
      } catch (IOException e) {
        throw new dev.shears.core.ShearsException(to.resolve(name) + ": cannot copy from " + src + " ("
            + e.getMessage() + ")", e);
      }
    }
    return copied;
  }

  /**
   * Checks the strategy names (with "did you mean" for a close one) and their parameters
   * before any work, and says which of them need calibration data.
   *
   * @return "scorer 'wanda' needs", "allocator 'ecoflap' needs", "scorer 'wanda' and allocator
   *     'ecoflap' need", or null when neither reads calibration evidence
   */
  static String checkStrategies(StrategyRegistry registry, PruneOptions options) {
    Map<StrategyKind, Map<String, String>> params = options.paramsByKind();
    Suggest.strategyExists(registry, StrategyKind.SCORER, options.scorer());
    Suggest.strategyExists(registry, StrategyKind.ALLOCATOR, options.allocator());
    if (options.loss() != null) {
      Suggest.strategyExists(registry, StrategyKind.LOSS, options.loss());
    }
    Scorer scorer = guarded(registry, StrategyKind.SCORER, options.scorer(), "in create",
        () -> registry.scorer(options.scorer(), params.get(StrategyKind.SCORER)));
    Allocator allocator = guarded(registry, StrategyKind.ALLOCATOR, options.allocator(), "in create",
        () -> registry.allocator(options.allocator(), params.get(StrategyKind.ALLOCATOR)));
    List<String> needers = new ArrayList<>();
    if (!guarded(registry, StrategyKind.SCORER, options.scorer(), "in evidence", scorer::evidence).isEmpty()) {
      needers.add("scorer '" + options.scorer() + "'");
    }
    if (options.pattern().isUnstructured()
        && !guarded(registry, StrategyKind.ALLOCATOR, options.allocator(), "in evidence", allocator::evidence)
            .isEmpty()) {
      needers.add("allocator '" + options.allocator() + "'");
    }
    return needers.isEmpty() ? null : String.join(" and ", needers) + (needers.size() == 1 ? " needs" : " need");
  }

  /**
   * Calls plugin code before any work, reporting what it throws the way the pipeline does: one
   * line naming the strategy and its jar (a usage error from the registry stays one).
   */
  private static <T> T guarded(StrategyRegistry registry, StrategyKind kind, String name, String where,
      java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (InvalidConfigurationException e) {
      throw e;
    } catch (RuntimeException | LinkageError | AssertionError e) {
      throw dev.shears.core.PluginFailure.threw(
          new dev.shears.core.PluginFailure.Strategy(kind, name, registry.forName(kind, name).source()),
          where, e);
    }
  }

  /**
   * With {@code --verify}: runs the input model on one calibration batch now, before anything
   * is written (an in-place conversion replaces the input), and returns what measures the
   * written output against it; {@code null} without {@code --verify}.
   */
  static java.util.function.Function<Path, Map<String, Fidelity.OutputFidelity>> verifier(boolean verify, Path model,
      CalibrationOptions calibration) {
    if (!verify) {
      return null;
    }
    Device device = Device.select(calibration.device, OrtEnvironment.getAvailableProviders(),
        Device.CudaProbe.onnxRuntime(), s -> { });
    Path modelDir = calibration.modelDir != null ? calibration.modelDir : model.toAbsolutePath().getParent();
    CalibrationSources.Format format = CalibrationSources.Format.valueOf(calibration.calibFormat.toUpperCase(Locale.ROOT));
    Verification.Reference reference;
    try {
      reference = Verification.reference(model, calibration.calib, modelDir, format,
          Math.min(calibration.batchSize, calibration.calibSamples), device);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return written -> Verification.compare(reference, written, device);
  }

  /** Prints the written model's fidelity to the input, when it was verified. */
  static void printVerification(Path model, PruneReport done, PrintWriter out) {
    Map<String, Fidelity.OutputFidelity> f = done.fidelity();
    if (f == null) {
      return;
    }
    out.println("verify: " + done.output() + " loads in ONNX Runtime; against " + model + " on one calibration batch:");
    out.printf("  %-20s %10s %12s %8s%n", "output", "cosine", "max |diff|", "top-1");
    for (Map.Entry<String, Fidelity.OutputFidelity> e : f.entrySet()) {
      Fidelity.OutputFidelity v = e.getValue();
      out.printf("  %-20s %10.6f %12.6g %8s%n", e.getKey(), v.cosine(), v.maxAbsDiff(),
          v.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.4f", v.top1Agreement()));
    }
  }
}
