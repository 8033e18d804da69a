package dev.shears.core.calibration;

import java.io.IOException;
import java.util.List;

/**
 * Calibration samples, read as a stream of batches so that memory does not grow with the
 * calibration set. Samples come in file order; a source may be read several times (the
 * engine makes one pass per statistics round), each time from the start.
 */
public interface CalibrationSource {

  /** Human-readable description for stderr, e.g. "256 samples from calib/*.npy". */
  String describe();

  /** The model inputs this source provides, in the model's order. */
  List<String> inputNames();

  /** The number of samples this source yields (already capped by --calib-samples). */
  int sampleCount();

  /**
   * Opens a pass over the samples from the start.
   *
   * @param batchSize samples per batch; the last batch may be smaller
   */
  BatchReader open(int batchSize) throws IOException;

  /** One pass over the samples. */
  interface BatchReader extends AutoCloseable {
    /** The next batch, or {@code null} at the end. */
    CalibrationBatch next() throws IOException;

    @Override
    void close() throws IOException;
  }
}
