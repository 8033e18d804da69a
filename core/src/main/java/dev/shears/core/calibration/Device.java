package dev.shears.core.calibration;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.ShearsException;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where forward passes run.
 *
 * @param cuda true for a CUDA device, false for the CPU
 * @param id the CUDA device number
 */
public record Device(boolean cuda, int id) {
  public static final Device CPU = new Device(false, 0);

  @Override
  public String toString() {
    return cuda ? "cuda:" + id : "cpu";
  }

  /**
   * Resolves {@code --device}. {@code auto} takes CUDA when this build of ONNX Runtime has
   * the CUDA provider and it loads, and says which it chose; {@code cuda} fails clearly
   * when it cannot.
   *
   * @param flag auto, cpu, cuda or cuda:N
   * @param providers the providers this ONNX Runtime build offers
   * @param probe tries to attach CUDA device N to session options; throws when it cannot
   * @param note where the choice is reported (stderr)
   */
  public static Device select(String flag, Set<OrtProvider> providers, CudaProbe probe, Consumer<String> note) {
    if (flag.equals("cpu")) {
      return CPU;
    }
    boolean auto = flag.equals("auto");
    int id = 0;
    if (!auto) {
      if (!flag.matches("cuda(:\\d+)?")) {
        throw new InvalidConfigurationException("--device must be auto, cpu, cuda or cuda:N, got '" + flag + "'");
      }
      id = flag.contains(":") ? Integer.parseInt(flag.substring(5)) : 0;
    }
    if (!providers.contains(OrtProvider.CUDA)) {
      String why = "this ONNX Runtime build has no CUDA provider (build Shears with -Pcuda for onnxruntime_gpu)";
      if (!auto) {
        throw new ShearsException("--device " + flag + ": CUDA is not available: " + why);
      }
      note.accept("device: cpu (" + why + ")");
      return CPU;
    }
    try {
      probe.attach(id);
    } catch (OrtException | RuntimeException e) {
      String why = "the CUDA provider did not load: " + String.valueOf(e.getMessage()).replace('\n', ' ');
      if (!auto) {
        throw new ShearsException("--device " + flag + ": CUDA is not available: " + why);
      }
      note.accept("device: cpu (" + why + ")");
      return CPU;
    }
    note.accept("device: cuda:" + id);
    return new Device(true, id);
  }

  /** Attaches the CUDA provider for device N to fresh options, to see whether it loads. */
  @FunctionalInterface
  public interface CudaProbe {
    void attach(int id) throws OrtException;

    /** The real probe: ONNX Runtime's own CUDA provider. */
    static CudaProbe onnxRuntime() {
      return id -> {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
          o.addCUDA(id);
        }
      };
    }
  }
}
