package dev.shears.cli;

import ai.onnxruntime.OrtEnvironment;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.evaluation.Fidelity;
import dev.shears.core.evaluation.Verification;
import dev.shears.core.onnx.TensorStorage;
import dev.shears.core.report.PruneReport;
import dev.shears.core.report.ReportWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
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
