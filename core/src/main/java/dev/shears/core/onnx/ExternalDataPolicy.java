package dev.shears.core.onnx;

/** When the writer stores tensor values in an external data file beside the model. */
public enum ExternalDataPolicy {
  /**
   * When the input kept its weights outside, or the model would pass protobuf's 2 GB limit;
   * otherwise everything stays in one file.
   */
  AUTO,
  /** Always: every tensor of at least 1 KiB goes to the data file. */
  ALWAYS,
  /** Never; fails for a model past the 2 GB limit. */
  NEVER
}
