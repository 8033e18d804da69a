package dev.shears.api;

import java.util.Set;

/** The inputs and outputs of one forward pass over one calibration batch. */
public interface ModelRun {

  /**
   * The names of the outputs this run produced.
   *
   * @return output names
   */
  Set<String> outputNames();

  /**
   * One output, as float.
   *
   * @param name the output name
   * @return the tensor
   * @throws IllegalArgumentException when the model has no such output
   */
  FloatTensor output(String name);

  /**
   * One model input of this batch, converted to float (integer ids and masks included).
   *
   * @param name the input name
   * @return the tensor
   * @throws IllegalArgumentException when the model has no such input
   */
  FloatTensor input(String name);
}
