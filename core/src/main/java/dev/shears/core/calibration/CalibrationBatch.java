package dev.shears.core.calibration;

import java.util.Map;

/**
 * One batch of calibration samples: the same number of samples in every input tensor.
 *
 * @param index the batch number, from zero, in file order
 * @param size the number of samples
 * @param inputs model input name to tensor
 */
public record CalibrationBatch(int index, int size, Map<String, HostTensor> inputs) {
  public CalibrationBatch {
    inputs = Map.copyOf(inputs);
    for (HostTensor t : inputs.values()) {
      if (t.samples() != size) {
        throw new IllegalArgumentException(
            "input " + t.name() + " has " + t.samples() + " samples, batch has " + size);
      }
    }
  }
}
