package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.calibration.source.NpyReader;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Restructuring keeps behaviour: every built-in strategy, pruning the bundled tinyclip-shapes
 * model from file to file, writes exactly the bytes it wrote when {@code pinned-outputs.properties}
 * was recorded. A deliberate change of a strategy's output re-records the file (run this test
 * with {@code -Dshears.pinned.record=true}) in the commit that makes the change, which says why.
 *
 * <p>Calibrated outputs depend on ONNX Runtime's float arithmetic, which differs between CPU
 * kernels (AVX2, AVX-512, ARM). The file therefore also pins a fingerprint: the dense model's
 * logits on the first calibration batch, computed by ONNX Runtime alone. Where the fingerprint
 * differs the calibrated cases are skipped with that reason; data-free ones are checked everywhere.
 */
class PinnedOutputsTest {
  private static final Path PINNED = Path.of("src/test/resources/dev/shears/core/pruning/pinned-outputs.properties");
  private static final boolean RECORD = Boolean.getBoolean("shears.pinned.record");
  private static final String FINGERPRINT = "platform.denseLogits";

  private static Properties pinned;
  private static String platform;

  @TempDir static Path dir;

  @BeforeAll
  static void load() throws Exception {
    pinned = new Properties();
    try (InputStream in = Files.newInputStream(PINNED)) {
      pinned.load(in);
    }
    platform = denseLogitsDigest();
    if (RECORD) {
      pinned.setProperty(FINGERPRINT, platform);
      store();
    }
  }

  /**
   * Name, allocator, scorer, mode, pattern, parameters; sparsity 0.6 where unstructured. The
   * {@code -refit0} cases run SparseGPT as the paper defines it ({@code scorer.refit=0}) and keep
   * the bytes pinned before the refit of kept weights existed; the {@code -shift0} cases keep
   * whole blocks ({@code allocator.downProjectionShift=0}) and the bytes pinned before the
   * sensitivity allocator split them.
   */
  static Stream<Arguments> strategies() {
    Map<String, String> paper = Map.of("scorer.refit", "0");
    Map<String, String> none = Map.of();
    Map<String, String> whole = Map.of("allocator.downProjectionShift", "0");
    return Stream.of(
        Arguments.of("uniform-magnitude", "uniform", "magnitude", Mode.ONE_SHOT, null, none),
        Arguments.of("uniform-wanda", "uniform", "wanda", Mode.ONE_SHOT, null, none),
        Arguments.of("uniform-sparsegpt", "uniform", "sparsegpt", Mode.ONE_SHOT, null, none),
        Arguments.of("uniform-sparsegpt-refit0", "uniform", "sparsegpt", Mode.ONE_SHOT, null, paper),
        Arguments.of("uniform-wanda-sequential", "uniform", "wanda", Mode.SEQUENTIAL, null, none),
        Arguments.of("uniform-sparsegpt-sequential", "uniform", "sparsegpt", Mode.SEQUENTIAL, null, none),
        Arguments.of("uniform-sparsegpt-sequential-refit0", "uniform", "sparsegpt", Mode.SEQUENTIAL, null, paper),
        Arguments.of("owl-wanda", "owl", "wanda", Mode.ONE_SHOT, null, none),
        Arguments.of("ecoflap-wanda", "ecoflap", "wanda", Mode.ONE_SHOT, null, none),
        Arguments.of("ecoflap-sparsegpt-sequential", "ecoflap", "sparsegpt", Mode.SEQUENTIAL, null, none),
        Arguments.of("ecoflap-sparsegpt-sequential-refit0", "ecoflap", "sparsegpt", Mode.SEQUENTIAL, null, paper),
        Arguments.of("sensitivity-sparsegpt", "sensitivity", "sparsegpt", Mode.ONE_SHOT, null, none),
        Arguments.of("sensitivity-sparsegpt-refit0", "sensitivity", "sparsegpt", Mode.ONE_SHOT, null, paper),
        Arguments.of("sensitivity-sparsegpt-shift0", "sensitivity", "sparsegpt", Mode.ONE_SHOT, null, whole),
        Arguments.of("sensitivity-sparsegpt-refit0-shift0", "sensitivity", "sparsegpt", Mode.ONE_SHOT, null,
            Map.of("scorer.refit", "0", "allocator.downProjectionShift", "0")),
        Arguments.of("2of4-magnitude", "uniform", "magnitude", Mode.ONE_SHOT, "2:4", none),
        Arguments.of("2of4-wanda", "uniform", "wanda", Mode.ONE_SHOT, "2:4", none),
        Arguments.of("2of4-sparsegpt", "uniform", "sparsegpt", Mode.ONE_SHOT, "2:4", none),
        Arguments.of("2of4-sparsegpt-refit0", "uniform", "sparsegpt", Mode.ONE_SHOT, "2:4", paper));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void writesThePinnedBytes(String name, String allocator, String scorer, Mode mode, String pattern,
      Map<String, String> params)
      throws Exception {
    boolean dataFree = scorer.equals("magnitude") && allocator.equals("uniform");
    if (!dataFree && !RECORD) {
      assumeTrue(platform.equals(pinned.getProperty(FINGERPRINT)), "ONNX Runtime computes the dense logits "
          + "differently on this CPU than where the outputs were pinned; calibrated outputs are compared there only");
    }
    SparsityPattern p = pattern == null ? SparsityPattern.unstructured() : SparsityPattern.parse(pattern);
    double sparsity = pattern == null ? 0.6 : p.impliedSparsity();
    PruneOptions options = new PruneOptions(sparsity, p, scorer, allocator, null, params, mode, 1);
    Path out = dir.resolve(name + ".onnx");
    CalibrationConfig calib = new CalibrationConfig(BundledModels.tinyClip().resolve("calib"), null,
        CalibrationSources.Format.NPY, 32, 16, "cpu");
    new PruneJob(TestModels.tinyClip(), out, null, SelectionRules.DEFAULT, options, ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> calib.open(m, Progress.NONE));
    String digest = sha256(Files.readAllBytes(out));
    if (RECORD) {
      synchronized (PinnedOutputsTest.class) {
        pinned.setProperty(name, digest);
        store();
      }
      return;
    }
    assertNotNull(pinned.getProperty(name), name + " is not pinned; record it with -Dshears.pinned.record=true");
    assertEquals(pinned.getProperty(name), digest, name + ": the output file's bytes changed");
  }

  private static void store() throws java.io.IOException {
    Map<String, String> sorted = new java.util.TreeMap<>();
    pinned.stringPropertyNames().forEach(k -> sorted.put(k, pinned.getProperty(k)));
    StringBuilder sb = new StringBuilder("# SHA-256 of the file each strategy writes for the bundled tinyclip-shapes model\n"
        + "# (PinnedOutputsTest; re-record with -Dshears.pinned.record=true only for a deliberate change)\n");
    sorted.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    try (OutputStream out = Files.newOutputStream(PINNED)) {
      out.write(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** ONNX Runtime's dense logits on the first 16 calibration samples, hashed. */
  private static String denseLogitsDigest() throws Exception {
    Path calib = BundledModels.tinyClip().resolve("calib");
    int n = 16;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(TestModels.tinyClip().toString(), opts)) {
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
          for (String input : session.getInputNames()) {
            try (NpyReader r = NpyReader.open(calib.resolve(input + ".npy"))) {
              long[] shape = r.shape();
              shape[0] = n;
              float[] v = r.readFloats(0, n);
              if (input.equals("pixel_values")) {
                inputs.put(input, OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape));
              } else {
                long[] ids = new long[v.length];
                for (int i = 0; i < v.length; i++) {
                  ids[i] = (long) v[i];
                }
                inputs.put(input, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
              }
            }
          }
          try (OrtSession.Result result = session.run(inputs)) {
            FloatBuffer logits = ((OnnxTensor) result.get("logits_per_image").orElseThrow()).getFloatBuffer();
            ByteBuffer bytes = ByteBuffer.allocate(logits.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(logits);
            return sha256(bytes.array());
          }
        } finally {
          inputs.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
