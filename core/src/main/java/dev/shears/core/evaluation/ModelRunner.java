package dev.shears.core.evaluation;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.shears.core.ShearsException;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.OrtSessions;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.source.InputSpec;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model file opened in ONNX Runtime, run on host tensors. The session reads the file itself,
 * so external data and {@code sparse_initializer}s are loaded exactly as any ONNX Runtime user
 * would load them. Close it to free the session.
 */
public final class ModelRunner implements AutoCloseable {
  private final Path file;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final List<InputSpec> inputs;
  private final List<String> outputs;

  /** One float output: its shape and values in row-major order. */
  public record Output(long[] shape, float[] values) {
    /** The size of axis 0. */
    public int rows() {
      return shape.length == 0 ? 1 : (int) shape[0];
    }

    /** Values per row. */
    public int columns() {
      return rows() == 0 ? 0 : values.length / rows();
    }
  }

  private ModelRunner(Path file, OrtEnvironment env, OrtSession session) throws OrtException {
    this.file = file;
    this.env = env;
    this.session = session;
    List<InputSpec> in = new ArrayList<>();
    for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
      if (!(e.getValue().getInfo() instanceof TensorInfo t)) {
        throw new ShearsException(file + ": input '" + e.getKey() + "' is not a tensor");
      }
      HostTensor.ElementType type = switch (t.type) {
        case FLOAT -> HostTensor.ElementType.FLOAT;
        case INT64 -> HostTensor.ElementType.INT64;
        default -> throw new ShearsException(file + ": input '" + e.getKey() + "' has element type "
            + t.type + "; evaluation feeds float and int64 inputs");
      };
      long[] shape = t.getShape().clone();
      for (int i = 0; i < shape.length; i++) {
        shape[i] = Math.max(shape[i], -1);
      }
      in.add(new InputSpec(e.getKey(), type, shape));
    }
    this.inputs = List.copyOf(in);
    this.outputs = List.copyOf(session.getOutputNames());
  }

  /**
   * Opens a model file.
   *
   * @throws ShearsException when ONNX Runtime cannot load it; the message names the file
   */
  public static ModelRunner open(Path file, Device device) {
    if (!Files.isRegularFile(file)) {
      throw new ShearsException(file + ": no such model file");
    }
    OrtEnvironment env = OrtSessions.environment();
    try (OrtSession.SessionOptions o = OrtSessions.options(device, Runtime.getRuntime().availableProcessors())) {
      OrtSession s = env.createSession(file.toString(), o);
      try {
        return new ModelRunner(file, env, s);
      } catch (RuntimeException | OrtException e) {
        s.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new ShearsException(file + ": ONNX Runtime cannot load the model: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
  }

  public Path file() {
    return file;
  }

  /** The graph inputs, in the model's order. */
  public List<InputSpec> inputs() {
    return inputs;
  }

  /** The graph output names, in the model's order. */
  public List<String> outputNames() {
    return outputs;
  }

  /** Runs the model and returns its float outputs (others are skipped), by name, in model order. */
  public Map<String, Output> run(Map<String, HostTensor> feed) {
    Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    try {
      for (HostTensor t : feed.values()) {
        OnnxTensor ot = t.type() == HostTensor.ElementType.FLOAT
            ? OnnxTensor.createTensor(env, (FloatBuffer) t.data().duplicate(), t.shape())
            : OnnxTensor.createTensor(env, (LongBuffer) t.data().duplicate(), t.shape());
        tensors.put(t.name(), ot);
      }
      Map<String, Output> out = new LinkedHashMap<>();
      try (OrtSession.Result r = session.run(tensors)) {
        for (Map.Entry<String, OnnxValue> e : r) {
          if (e.getValue() instanceof OnnxTensor ot && ot.getInfo().type == OnnxJavaType.FLOAT) {
            FloatBuffer b = ot.getFloatBuffer();
            float[] v = new float[b.remaining()];
            b.get(v);
            out.put(e.getKey(), new Output(ot.getInfo().getShape(), v));
          }
        }
      }
      return out;
    } catch (OrtException e) {
      throw new ShearsException(file + ": ONNX Runtime failed to run the model: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    } finally {
      for (OnnxTensor t : tensors.values()) {
        t.close();
      }
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new ShearsException(file + ": cannot close the ONNX Runtime session: " + e.getMessage(), e);
    }
  }
}
