package dev.shears.cli;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.progress.Progress;
import java.nio.file.Path;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** Where calibration data comes from and where the forward passes run. */
final class CalibrationOptions {
  @Option(names = "--calib", paramLabel = "PATH",
      description = "Calibration data: a folder with captions.jsonl (+ images), or .npy tensors named after the model inputs.")
  Path calib;

  @Option(names = "--calib-format", paramLabel = "FORMAT", defaultValue = "auto",
      description = "auto, npy or captions (default: ${DEFAULT-VALUE}; auto prefers .npy when both are present).")
  String calibFormat;

  @Option(names = "--calib-samples", paramLabel = "N",
      defaultValue = "" + dev.shears.core.calibration.CalibrationConfig.DEFAULT_SAMPLES,
      description = "Use the first N samples, in file order (default: ${DEFAULT-VALUE}, or all when there are fewer).")
  int calibSamples;

  @Option(names = "--batch-size", paramLabel = "B", defaultValue = "16",
      description = "Samples per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--model-dir", paramLabel = "DIR",
      description = "Folder with tokenizer.json and preprocessor_config.json (default: the model's folder).")
  Path modelDir;

  @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
      description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}: CUDA when it loads, else CPU).")
  String device;

  @Option(names = "--count-padding",
      description = "Statistics also count padded text positions (as Wanda's and SparseGPT's reference code do); "
          + "by default only real tokens count.")
  boolean countPadding;

  void validate() {
    if (calibSamples < 1) {
      throw new InvalidConfigurationException("--calib-samples must be at least 1, got " + calibSamples);
    }
    if (batchSize < 1) {
      throw new InvalidConfigurationException("--batch-size must be at least 1, got " + batchSize);
    }
    if (!calibFormat.matches("auto|npy|captions")) {
      throw new InvalidConfigurationException("--calib-format must be auto, npy or captions, got '" + calibFormat + "'");
    }
    if (!device.matches("auto|cpu|cuda(:\\d+)?")) {
      throw new InvalidConfigurationException("--device must be auto, cpu, cuda or cuda:N, got '" + device + "'");
    }
  }

  /** Opens the engine when a strategy asks for evidence; {@code needer} is "scorer 'x' needs" or the like. */
  Function<ModelFile, StatisticsEngine> engines(Progress progress, String needer) {
    return model -> {
      if (calib == null) {
        throw new InvalidConfigurationException(needer + " calibration data (--calib PATH)");
      }
      return config().open(model, progress);
    };
  }

  CalibrationConfig config() {
    CalibrationSources.Format f = switch (calibFormat) {
      case "npy" -> CalibrationSources.Format.NPY;
      case "captions" -> CalibrationSources.Format.CAPTIONS;
      default -> CalibrationSources.Format.AUTO;
    };
    return new CalibrationConfig(calib, modelDir, f, calibSamples, batchSize, device, countPadding);
  }
}
