package dev.shears.core.report;

import ai.onnxruntime.OrtEnvironment;
import dev.shears.core.Version;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where a run happened, for reports: versions, machine, device and seed. */
public final class RunEnvironment {
  private RunEnvironment() {}

  /**
   * The environment of this process.
   *
   * @param device where forward passes ran ("cpu", "cuda:0"), or a note such as "none
   *     (data-free)"; {@code null} when not known
   * @param seed the seed of every random choice
   */
  public static Map<String, Object> capture(String device, long seed) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("shears", Version.get());
    env.put("onnxruntime", onnxRuntimeVersion());
    env.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch"));
    env.put("cpus", Runtime.getRuntime().availableProcessors());
    env.put("device", device);
    env.put("seed", seed);
    return env;
  }

  static String onnxRuntimeVersion() {
    try {
      return dev.shears.core.calibration.OrtSessions.environment().getVersion();
    } catch (RuntimeException | LinkageError e) {
      String v = OrtEnvironment.class.getPackage().getImplementationVersion();
      return v == null ? "unknown" : v;
    }
  }
}
