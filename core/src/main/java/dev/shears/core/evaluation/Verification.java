package dev.shears.core.evaluation;

import ai.onnxruntime.OrtException;
import dev.shears.core.ShearsException;
import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.calibration.source.InputSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code shears prune --verify}: loads the written model in ONNX Runtime and compares its outputs
 * with the input model's on one calibration batch.
 */
public final class Verification {
  private Verification() {}

  /**
   * Verifies a written model.
   *
   * @param dense the model that was pruned
   * @param pruned the written output
   * @param calib the calibration folder (or captions .jsonl)
   * @param modelDir where the side files (tokenizer, preprocessor config) lie
   * @param format the calibration format
   * @param batchSize samples in the batch
   * @return per output, the pruned model's fidelity to the dense one
   * @throws ShearsException when the output does not load ("the pruned model does not load in ONNX
   *     Runtime") or the data cannot be read
   */
  public static Map<String, Fidelity.OutputFidelity> verify(Path dense, Path pruned, Path calib, Path modelDir,
      CalibrationSources.Format format, int batchSize, Device device) throws IOException {
    ModelRunner out;
    try {
      out = ModelRunner.open(pruned, device);
    } catch (ShearsException e) {
      Throwable cause = e.getCause() instanceof OrtException ? e.getCause() : e;
      throw new ShearsException(pruned + ": the pruned model does not load in ONNX Runtime: "
          + String.valueOf(cause.getMessage()).replace('\n', ' '), e);
    }
    try (out; ModelRunner in = ModelRunner.open(dense, device)) {
      List<InputSpec> inputs = in.inputs();
      CalibrationSource source = CalibrationSources.open(calib, modelDir, format, batchSize, inputs);
      CalibrationBatch batch;
      try (CalibrationSource.BatchReader r = source.open(batchSize)) {
        batch = r.next();
      }
      if (batch == null) {
        throw new ShearsException(calib + ": no calibration samples to verify with");
      }
      Map<String, ModelRunner.Output> a = out.run(batch.inputs());
      Map<String, ModelRunner.Output> b = in.run(batch.inputs());
      Fidelity f = new Fidelity();
      for (Map.Entry<String, ModelRunner.Output> e : a.entrySet()) {
        ModelRunner.Output ref = b.get(e.getKey());
        if (ref != null && ref.values().length == e.getValue().values().length) {
          f.add(e.getKey(), e.getValue(), ref);
        }
      }
      return f.result();
    }
  }
}
