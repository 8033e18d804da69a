package dev.shears.core.calibration;

import dev.shears.core.ShearsException;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.calibration.source.InputSpec;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Where calibration data comes from and where forward passes run.
 *
 * @param data the calibration folder
 * @param modelDir the folder with tokenizer.json and preprocessor_config.json, or null for
 *     the model's own folder
 * @param format auto, npy or captions
 * @param samples use the first N samples
 * @param batchSize samples per forward pass
 * @param device auto, cpu, cuda or cuda:N
 * @param countPadding whether statistics also count padded text positions
 */
public record CalibrationConfig(Path data, Path modelDir, CalibrationSources.Format format, int samples,
    int batchSize, String device, boolean countPadding) {

  /**
   * Calibration samples used unless {@code --calib-samples} says otherwise, or all when there
   * are fewer. SparseGPT's Gram matrix needs more tokens than a layer has input features
   * (MiniLM's MLP output layer reads 1536), and short sentences give about 15 each: on
   * all-MiniLM-L6-v2 at 50%, 512 sentences keep a pooled cosine of 0.947 to the dense model
   * where 128 keep 0.936 (README, "Choosing the defaults").
   */
  public static final int DEFAULT_SAMPLES = 512;

  /** Statistics over real tokens only (the default). */
  public CalibrationConfig(
      Path data, Path modelDir, CalibrationSources.Format format, int samples, int batchSize, String device) {
    this(data, modelDir, format, samples, batchSize, device, false);
  }

  /** Opens the source and the engine for a model, reporting the device choice. */
  public OrtStatisticsEngine open(ModelFile model, Progress progress) {
    Device d = Device.select(device, ai.onnxruntime.OrtEnvironment.getAvailableProviders(),
        Device.CudaProbe.onnxRuntime(), progress::note);
    CalibrationSource source = source(model);
    int n = source.sampleCount();
    progress.note("calibration: " + source.describe()
        + (samples > n && samples != DEFAULT_SAMPLES ? " (--calib-samples " + samples + " asks for more: all " + n + " are used)" : ""));
    return new OrtStatisticsEngine(model, source, batchSize, d, progress, countPadding);
  }

  public CalibrationSource source(ModelFile model) {
    Path dir = modelDir != null ? modelDir : model.path().toAbsolutePath().getParent();
    try {
      return CalibrationSources.open(data, dir, format, samples, inputSpecs(model));
    } catch (IOException e) {
      throw new ShearsException("--calib " + data + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /** The model's real inputs (graph inputs that are not initializers), as calibration must feed them. */
  public static List<InputSpec> inputSpecs(ModelFile model) {
    Set<String> inits = new HashSet<>();
    for (TensorProto t : model.proto().getGraph().getInitializerList()) {
      inits.add(t.getName());
    }
    List<InputSpec> specs = new ArrayList<>();
    for (ValueInfoProto v : model.proto().getGraph().getInputList()) {
      if (inits.contains(v.getName())) {
        continue;
      }
      int elem = v.getType().getTensorType().getElemType();
      HostTensor.ElementType type = switch (elem) {
        // 16-bit float inputs are read and preprocessed as float, converted when fed
        case 1, 10, 16 -> HostTensor.ElementType.FLOAT;
        case 7 -> HostTensor.ElementType.INT64;
        default -> throw new ShearsException(model.path() + ": input '" + v.getName()
            + "' has element type " + dev.shears.core.onnx.DataType.nameOf(elem)
            + "; calibration feeds float (fp32, fp16, bf16) and int64 inputs only");
      };
      List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
      long[] shape = new long[dims.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = dims.get(i).hasDimValue() && dims.get(i).getDimValue() > 0 ? dims.get(i).getDimValue() : -1;
      }
      specs.add(new InputSpec(v.getName(), type, shape));
    }
    return specs;
  }
}
