package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.core.ShearsException;
import dev.shears.core.evidence.HeldOutLoss;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link HeldOutLoss} on ONNX Runtime. The held-out samples are read once, in the loss's
 * preferred batch size and prepared as the zeroth-order estimate prepares its batches (padding
 * trimmed when the sequence axis is dynamic, mismatched pairs for a pair loss); the dense
 * model's outputs on them are kept, and each candidate is one forward pass per batch through the
 * whole model with its pruned weights.
 */
final class HeldOutEvaluator implements HeldOutLoss {
  private final GraphProto graph;
  private final SessionFactory sessions;
  private final OrtEnvironment env;
  private final CalibrationLoss loss;
  private final Map<String, DataType> halfInputs;
  private final List<Map<String, HostTensor>> batches = new ArrayList<>();
  private final List<Integer> sizes = new ArrayList<>();
  private final List<Map<String, FloatTensor>> denseOutputs = new ArrayList<>();
  private final int samples;
  private final double dense;

  HeldOutEvaluator(ModelFile model, SessionFactory sessions, OrtEnvironment env, CalibrationSource heldOut,
      CalibrationLoss loss, long seed) {
    this.graph = model.proto().getGraph();
    this.sessions = sessions;
    this.env = env;
    this.loss = loss;
    this.halfInputs = OrtTensors.halfInputs(graph);
    this.samples = heldOut.sampleCount();
    boolean dynamicSequence = TrailingPadding.cuttable(graph);
    try (CalibrationSource.BatchReader reader = heldOut.open(loss.preferredBatchSize())) {
      CalibrationBatch b;
      while ((b = reader.next()) != null) {
        Map<String, HostTensor> inputs = dynamicSequence ? TrailingPadding.cut(b.inputs()) : b.inputs();
        sizes.add(b.size());
        batches.add(loss.needsMismatchedPairs() ? PairedBatches.withMismatched(inputs, seed + batches.size()) : inputs);
      }
    } catch (IOException e) {
      throw new ShearsException("cannot read calibration data: " + e.getMessage(), e);
    }
    denseOutputs.addAll(run(null));
    double sum = 0;
    for (int i = 0; i < batches.size(); i++) {
      BatchRun d = new BatchRun(batches.get(i), denseOutputs.get(i));
      sum += loss.loss(d, d) * sizes.get(i);
    }
    this.dense = sum / samples;
  }

  @Override
  public int samples() {
    return samples;
  }

  @Override
  public double dense() {
    return dense;
  }

  @Override
  public double loss(TensorStore prunedWeights) {
    List<Map<String, FloatTensor>> outputs = run(prunedWeights);
    double sum = 0;
    for (int i = 0; i < batches.size(); i++) {
      sum += loss.loss(new BatchRun(batches.get(i), outputs.get(i)), new BatchRun(batches.get(i), denseOutputs.get(i)))
          * sizes.get(i);
    }
    return sum / samples;
  }

  /** The float outputs of the whole model on every held-out batch, with {@code weights} in place of its own. */
  private List<Map<String, FloatTensor>> run(TensorStore weights) {
    List<Map<String, FloatTensor>> out = new ArrayList<>();
    try (SessionFactory.Handle handle = sessions.open(graph, weights, true)) {
      Set<String> wanted = handle.session.getInputNames();
      for (Map<String, HostTensor> batch : batches) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
          for (Map.Entry<String, HostTensor> e : batch.entrySet()) {
            if (wanted.contains(e.getKey())) {
              feeds.put(e.getKey(), OrtTensors.of(env, e.getValue(), halfInputs));
            }
          }
          Map<String, FloatTensor> outputs = new LinkedHashMap<>();
          try (OrtSession.Result r = handle.session.run(feeds)) {
            for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
              if (e.getValue() instanceof OnnxTensor t && t.getInfo().type == OnnxJavaType.FLOAT) {
                outputs.put(e.getKey(), FloatTensor.of(t.getInfo().getShape(), OrtTensors.floats(t)));
              }
            }
          }
          out.add(outputs);
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    } catch (OrtException e) {
      throw new ShearsException("ONNX Runtime failed on held-out calibration data: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
    return out;
  }

  @Override
  public void close() {
    sessions.close();
  }
}
