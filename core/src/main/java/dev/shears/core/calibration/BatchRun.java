package dev.shears.core.calibration;

import dev.shears.api.FloatTensor;
import dev.shears.api.ModelRun;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Set;

/** A {@link ModelRun}: one batch's inputs and the outputs of one forward pass over them. */
final class BatchRun implements ModelRun {
  private final Map<String, HostTensor> inputs;
  private final Map<String, FloatTensor> outputs;

  BatchRun(Map<String, HostTensor> inputs, Map<String, FloatTensor> outputs) {
    this.inputs = inputs;
    this.outputs = outputs;
  }

  @Override
  public Set<String> outputNames() {
    return outputs.keySet();
  }

  @Override
  public FloatTensor output(String name) {
    FloatTensor t = outputs.get(name);
    if (t == null) {
      throw new IllegalArgumentException("the model has no float output '" + name + "' (outputs: " + outputs.keySet() + ")");
    }
    return t;
  }

  @Override
  public FloatTensor input(String name) {
    HostTensor t = inputs.get(name);
    if (t == null) {
      throw new IllegalArgumentException("the model has no input '" + name + "' (inputs: " + inputs.keySet() + ")");
    }
    float[] values = new float[t.data().remaining()];
    if (t.type() == HostTensor.ElementType.FLOAT) {
      ((FloatBuffer) t.data().duplicate()).get(values);
    } else {
      LongBuffer b = (LongBuffer) t.data().duplicate();
      for (int i = 0; i < values.length; i++) {
        values[i] = b.get();
      }
    }
    return FloatTensor.of(t.shape(), values);
  }
}
