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
 * with the input model's on one calibration batch. The input's outputs are taken before the
 * prune ({@link #reference}), so that converting a file in place compares with the original,
 * not with itself.
 */
public final class Verification {
  private Verification() {}

  /**
   * The input model's outputs on one calibration batch, taken before anything is written: an
   * in-place conversion replaces the file the comparison must be against.
   *
   * @param inputs the batch
   * @param outputs the dense model's outputs on it
   */
  public record Reference(Map<String, dev.shears.core.calibration.HostTensor> inputs,
      Map<String, ModelRunner.Output> outputs) {}

  /**
   * Runs the input model on the first calibration batch.
   *
   * @param dense the model about to be pruned
   * @param calib the calibration folder (or captions .jsonl)
   * @param modelDir where the side files (tokenizer, preprocessor config) lie
   * @param format the calibration format
   * @param batchSize samples in the batch
   * @param device where to run
   * @return the batch and the dense outputs
   */
  public static Reference reference(Path dense, Path calib, Path modelDir, CalibrationSources.Format format,
      int batchSize, Device device) throws IOException {
    try (ModelRunner in = ModelRunner.open(dense, device)) {
      List<InputSpec> inputs = in.inputs();
      CalibrationSource source = CalibrationSources.open(calib, modelDir, format, batchSize, inputs);
      CalibrationBatch batch;
      try (CalibrationSource.BatchReader r = source.open(batchSize)) {
        batch = r.next();
      }
      if (batch == null) {
        throw new ShearsException(calib + ": no calibration samples to verify with");
      }
      return new Reference(batch.inputs(), in.run(batch.inputs()));
    }
  }

  /**
   * Loads a written model and compares its outputs with the reference's on the same batch.
   *
   * @param reference the input model's outputs, from {@link #reference}
   * @param pruned the written output
   * @param device where to run
   * @return per output, the pruned model's fidelity to the dense one
   * @throws ShearsException when the output does not load ("the pruned model does not load in
   *     ONNX Runtime")
   */
  public static Map<String, Fidelity.OutputFidelity> compare(Reference reference, Path pruned, Device device) {
    ModelRunner out;
    try {
      out = ModelRunner.open(pruned, device);
    } catch (ShearsException e) {
      Throwable cause = e.getCause() instanceof OrtException ? e.getCause() : e;
      throw new ShearsException(pruned + ": the pruned model does not load in ONNX Runtime: "
          + String.valueOf(cause.getMessage()).replace('\n', ' '), e);
    }
    try (out) {
      Map<String, ModelRunner.Output> a = out.run(reference.inputs());
      Fidelity f = new Fidelity();
      for (Map.Entry<String, ModelRunner.Output> e : a.entrySet()) {
        ModelRunner.Output ref = reference.outputs().get(e.getKey());
        if (ref != null && ref.values().length == e.getValue().values().length) {
          f.add(e.getKey(), e.getValue(), ref);
        }
      }
      return f.result();
    }
  }

  /**
   * Verifies a written model against another file.
   *
   * @param dense the model that was pruned (still on disk, unchanged)
   * @param pruned the written output
   * @param calib the calibration folder (or captions .jsonl)
   * @param modelDir where the side files (tokenizer, preprocessor config) lie
   * @param format the calibration format
   * @param batchSize samples in the batch
   * @return per output, the pruned model's fidelity to the dense one
   */
  public static Map<String, Fidelity.OutputFidelity> verify(Path dense, Path pruned, Path calib, Path modelDir,
      CalibrationSources.Format format, int batchSize, Device device) throws IOException {
    return compare(reference(dense, calib, modelDir, format, batchSize, device), pruned, device);
  }
}
