package dev.shears.core.calibration.source;

import dev.shears.core.calibration.HostTensor.ElementType;
import java.util.List;

/** The inputs of the bundled tinyclip-shapes model.onnx, as the engine would read them. */
final class TinyClip {
  private TinyClip() {}

  static final InputSpec INPUT_IDS =
      new InputSpec("input_ids", ElementType.INT64, new long[] {-1, -1});
  static final InputSpec PIXEL_VALUES =
      new InputSpec("pixel_values", ElementType.FLOAT, new long[] {-1, 3, 32, 32});
  static final InputSpec ATTENTION_MASK =
      new InputSpec("attention_mask", ElementType.INT64, new long[] {-1, -1});

  static List<InputSpec> inputs() {
    return List.of(INPUT_IDS, PIXEL_VALUES, ATTENTION_MASK);
  }
}
