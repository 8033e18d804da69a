package dev.shears.cli;

import ai.onnxruntime.OrtEnvironment;
import dev.shears.api.Allocator;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Scorer;
import dev.shears.api.StrategyKind;
import dev.shears.api.StrategyRegistry;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evaluation.Fidelity;
import dev.shears.core.evaluation.Verification;
import dev.shears.core.onnx.TensorStorage;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.report.PruneReport;
import dev.shears.core.report.ReportWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
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

  /**
   * Checks the strategy names (with "did you mean" for a close one) and their parameters
   * before any work, and says which of them need calibration data.
   *
   * @return "scorer 'wanda' needs", "allocator 'ecoflap' needs", "scorer 'wanda' and allocator
   *     'ecoflap' need", or null when neither reads calibration evidence
   */
  static String checkStrategies(StrategyRegistry registry, PruneOptions options) {
    Map<StrategyKind, Map<String, String>> params = new EnumMap<>(StrategyKind.class);
    for (StrategyKind k : StrategyKind.values()) {
      params.put(k, new TreeMap<>());
    }
    for (Map.Entry<String, String> e : new TreeMap<>(options.params()).entrySet()) {
      String key = e.getKey();
      int dot = key.indexOf('.');
      StrategyKind kind = null;
      for (StrategyKind k : StrategyKind.values()) {
        if (dot > 0 && key.substring(0, dot).equals(k.label())) {
          kind = k;
        }
      }
      if (kind == null || dot == key.length() - 1) {
        throw new InvalidConfigurationException("--param " + key
            + ": keys are scorer.NAME, allocator.NAME or loss.NAME (see shears plugins)");
      }
      params.get(kind).put(key.substring(dot + 1), e.getValue());
    }
    Suggest.strategyExists(registry, StrategyKind.SCORER, options.scorer());
    Suggest.strategyExists(registry, StrategyKind.ALLOCATOR, options.allocator());
    if (options.loss() != null) {
      Suggest.strategyExists(registry, StrategyKind.LOSS, options.loss());
    }
    Scorer scorer = registry.scorer(options.scorer(), params.get(StrategyKind.SCORER));
    Allocator allocator = registry.allocator(options.allocator(), params.get(StrategyKind.ALLOCATOR));
    List<String> needers = new ArrayList<>();
    if (!scorer.evidence().isEmpty()) {
      needers.add("scorer '" + options.scorer() + "'");
    }
    if (options.pattern().isUnstructured() && !allocator.evidence().isEmpty()) {
      needers.add("allocator '" + options.allocator() + "'");
    }
    return needers.isEmpty() ? null : String.join(" and ", needers) + (needers.size() == 1 ? " needs" : " need");
  }

  /**
   * After the model is written: with {@code --verify}, loads it in ONNX Runtime, prints its
   * fidelity to the input, and adds the figures to the report file.
   */
  static void afterWrite(boolean verify, Path model, PruneReport done, Path report, CalibrationOptions calibration,
      PrintWriter out) {
    if (!verify) {
      return;
    }
    Device device = Device.select(calibration.device, OrtEnvironment.getAvailableProviders(),
        Device.CudaProbe.onnxRuntime(), s -> { });
    Path modelDir = calibration.modelDir != null ? calibration.modelDir : model.toAbsolutePath().getParent();
    CalibrationSources.Format format = CalibrationSources.Format.valueOf(calibration.calibFormat.toUpperCase(Locale.ROOT));
    Map<String, Fidelity.OutputFidelity> f;
    try {
      f = Verification.verify(model, Path.of(done.output()), calibration.calib, modelDir, format,
          Math.min(calibration.batchSize, calibration.calibSamples), device);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.println("verify: " + done.output() + " loads in ONNX Runtime; against " + model + " on one calibration batch:");
    out.printf("  %-20s %10s %12s %8s%n", "output", "cosine", "max |diff|", "top-1");
    for (Map.Entry<String, Fidelity.OutputFidelity> e : f.entrySet()) {
      Fidelity.OutputFidelity v = e.getValue();
      out.printf("  %-20s %10.6f %12.6g %8s%n", e.getKey(), v.cosine(), v.maxAbsDiff(),
          v.top1Agreement() == null ? "-" : String.format(Locale.ROOT, "%.4f", v.top1Agreement()));
    }
    if (report != null) {
      ReportWriter.write(done.withFidelity(f), report);
    }
  }
}
