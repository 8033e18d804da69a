package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.core.synthetic.PatternModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights behind Transpose, Cast and Identity, as a MatMul's first operand, packed in an
 * Attention node, in Gemm with and without transB, in FusedMatMul, and tied: each is pruned
 * along its mathematical output channels, with Wanda's statistics taken along the right
 * activation axis. The expected masks are computed here directly from the stored bytes and
 * from activations read out of ONNX Runtime, knowing by construction how each weight is used.
 */
class LinearPatternsTest {
  private static final int SAMPLES = 12;

  @TempDir Path tmp;

  /**
   * How each weight of {@link PatternModels#linearPatterns} is used: whether its stored rows
   * are output channels, and whether its activation's features lie on the second-to-last axis.
   */
  private record Expected(boolean rowsAreOutputs, boolean featuresSecondToLast, int consumers) {}

  private static final Map<String, Expected> EXPECTED = Map.of(
      "W1", new Expected(true, false, 1), // MatMul(h, Transpose(W1)): stored [out, in]
      "W2", new Expected(true, true, 1), // MatMul(W2, x): stored [out, in], features on axis -2
      "Wqkv", new Expected(false, false, 1), // Attention: [in, 3 × out]
      "W3", new Expected(true, false, 1), // Gemm transB = 1
      "W4", new Expected(false, false, 1), // Gemm transB = 0
      "W5", new Expected(false, false, 2), // fp16 -> Cast -> Identity, two MatMuls
      "W6", new Expected(true, false, 1)); // FusedMatMul transB = 1

  @Test
  void everyPatternIsPrunableWithItsLayout() throws Exception {
    Path model = PatternModels.linearPatterns(tmp, SAMPLES, 1);
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(EXPECTED.keySet(), Map.copyOf(byName(inv)).keySet(), "skipped: " + inv.skipped());
      for (PrunableTensor t : inv.prunable()) {
        Expected e = EXPECTED.get(t.name());
        assertEquals(e.rowsAreOutputs() ? WeightLayout.OUT_IN : WeightLayout.IN_OUT, t.layout(), t.name());
        assertEquals(e.consumers(), t.consumers().size(), t.name());
        for (Consumer c : t.consumers()) {
          assertEquals(e.featuresSecondToLast(), c.activationTransposed(), t.name());
        }
        assertNotNull(t.block(), t.name());
      }
      assertEquals(24, byName(inv).get("Wqkv").rows(), "packed Q, K and V: three projections of 8");
      assertEquals(1, inv.skipped().size(), inv.skipped().toString());
      assertEquals("Wpool", inv.skipped().get(0).name());
      assertTrue(inv.skipped().get(0).reason().startsWith("outside the transformer blocks"));
      Inventory withPooler = Inventory.of(m.proto().getGraph(),
          new SelectionRules(List.of(java.util.regex.Pattern.compile("^n" + poolerNode(m) + "$")), List.of()));
      assertTrue(names(withPooler).contains("Wpool"), "--include reaches the FusedGemm pooler");
      assertEquals(2, inv.blocks().size(), "an MLP sub-layer, then the attention block: "
          + inv.prunable().stream().map(t -> t.name() + "@" + t.block()).toList());
    }
  }

  private static int poolerNode(ModelFile m) {
    var nodes = m.proto().getGraph().getNodeList();
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).getOpType().equals("FusedGemm")) {
        return Integer.parseInt(nodes.get(i).getName().substring(1));
      }
    }
    throw new AssertionError("no FusedGemm");
  }

  /** With W5 stored as float16 (10) or bfloat16 (16): pruned and written back in its own type. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {10, 16})
  void wandaMasksFollowTheMathematicalOutputChannels(int halfType) throws Exception {
    Path model = PatternModels.linearPatterns(tmp, SAMPLES, 1, 17, halfType);
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      Map<String, double[]> squares = activationSquareSums(m, inv);
      PruneOptions options = new PruneOptions(0.5, SparsityPattern.unstructured(), "wanda", "uniform", null,
          Map.of(), Mode.ONE_SHOT, 0);
      CalibrationConfig calib = new CalibrationConfig(tmp.resolve("calib"), null, CalibrationSources.Format.NPY,
          SAMPLES, 4, "cpu");
      try (PruningPipeline.Result result = new PruningPipeline(
          StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE)
          .run(m, inv, options, () -> calib.open(m, Progress.NONE))) {
        ModelProto pruned = result.toModel(m);
        for (PrunableTensor t : inv.prunable()) {
          Expected e = EXPECTED.get(t.name());
          TensorProto before = m.proto().getGraph().getInitializer(t.initializer());
          TensorProto after = pruned.getGraph().getInitializer(t.initializer());
          assertEquals(before.getDataType(), after.getDataType(), t.name() + " keeps its element type");
          float[] w = m.readFloats(before);
          float[] p = m.readFloats(after);
          int d0 = (int) before.getDims(0);
          int d1 = (int) before.getDims(1);
          int outputs = e.rowsAreOutputs() ? d0 : d1;
          int inputs = e.rowsAreOutputs() ? d1 : d0;
          double[] ss = squares.get(t.name());
          for (int r = 0; r < outputs; r++) {
            Integer[] order = new Integer[inputs];
            double[] score = new double[inputs];
            for (int c = 0; c < inputs; c++) {
              int stored = e.rowsAreOutputs() ? r * d1 + c : c * d1 + r;
              score[c] = Math.abs(w[stored]) * Math.sqrt(ss[c]);
              order[c] = c;
            }
            java.util.Arrays.sort(order, (a, b) -> score[a] != score[b] ? Double.compare(score[a], score[b]) : a - b);
            for (int k = 0; k < inputs; k++) {
              int c = order[k];
              int stored = e.rowsAreOutputs() ? r * d1 + c : c * d1 + r;
              boolean expectPruned = k < inputs / 2;
              assertEquals(expectPruned, p[stored] == 0f, t.name() + " output " + r + " input " + c);
            }
          }
        }
        float[] dense = run(m.proto(), m.path());
        float[] sparse = run(pruned, m.path());
        assertTrue(cosine(dense, sparse) > 0.8, "the pruned model still computes much the same");
      }
    }
  }

  /** A float16 graph input is calibrated from float .npy data, converted to the input's type. */
  @Test
  void halfPrecisionInputCalibratesAndPrunes() throws Exception {
    Path model = PatternModels.linearPatterns(tmp, SAMPLES, 10);
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(EXPECTED.size(), inv.prunable().size());
      PruneOptions options = new PruneOptions(0.5, SparsityPattern.unstructured(), "sparsegpt", "uniform", null,
          Map.of(), Mode.SEQUENTIAL, 0);
      CalibrationConfig calib = new CalibrationConfig(tmp.resolve("calib"), null, CalibrationSources.Format.NPY,
          SAMPLES, 4, "cpu");
      try (PruningPipeline.Result result = new PruningPipeline(
          StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE)
          .run(m, inv, options, () -> calib.open(m, Progress.NONE))) {
        assertEquals(0.5, result.report().totals().sparsity(), 1e-9);
      }
    }
  }

  /** The same model declared at opset 11 and at opset 17 gets the same masks and values. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"wanda", "sparsegpt"})
  void opset11And17GiveTheSameResult(String scorer) throws Exception {
    byte[][] results = new byte[2][];
    int k = 0;
    for (int opset : new int[] {11, 17}) {
      Path dir = tmp.resolve("opset" + opset);
      Path model = PatternModels.linearPatterns(dir, SAMPLES, 1, opset);
      try (ModelFile m = ModelFile.read(model)) {
        Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
        CalibrationConfig calib = new CalibrationConfig(dir.resolve("calib"), null, CalibrationSources.Format.NPY,
            SAMPLES, 4, "cpu");
        try (PruningPipeline.Result result = new PruningPipeline(
            StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE).run(m, inv,
            new PruneOptions(0.5, SparsityPattern.unstructured(), scorer, "uniform", null, Map.of(),
                Mode.SEQUENTIAL, 0), () -> calib.open(m, Progress.NONE))) {
          results[k++] = result.toModel(m).getGraph().toBuilder().clearNode().build().toByteArray();
        }
      }
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(results[0], results[1]);
  }

  /** Quantized weights are listed as skipped, inside their block, and left untouched. */
  @Test
  void quantizedWeightsAreSkippedWithTheirReasonAndKept() throws Exception {
    Path model = PatternModels.quantized(tmp.resolve("q"));
    Path out = tmp.resolve("q/pruned.onnx");
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(List.of("Wf"), names(inv));
      Map<String, String> reasons = new HashMap<>();
      inv.skipped().forEach(s -> reasons.put(s.name(), s.reason()));
      assertEquals("quantized weight (DequantizeLinear); Shears prunes float weights only", reasons.get("Wq8"));
      assertEquals("quantized weight (MatMulNBits); Shears prunes float weights only", reasons.get("Wq4"));
      inv.skipped().forEach(s -> assertNotNull(s.block(), s.name() + " lies inside the block"));
      assertEquals(16 * 16 + 16 * 8, inv.skippedInBlocks());
    }
    var report = new PruneJob(model, out, null, SelectionRules.DEFAULT, new PruneOptions(0.5,
        SparsityPattern.unstructured(), "magnitude", "uniform", null, Map.of(), Mode.ONE_SHOT, 0),
        dev.shears.core.onnx.ExternalDataPolicy.AUTO).run(StrategyRegistry.load(getClass().getClassLoader()),
        Progress.NONE, m -> {
          throw new AssertionError("magnitude needs no data");
        });
    assertEquals(0.5, report.totals().sparsity(), 1e-9);
    assertEquals(128.0 / (256 + 256 + 128), report.totals().sparsityOfBlockLinearWeights(), 1e-9);
    try (ModelFile a = ModelFile.read(model); ModelFile b = ModelFile.read(out)) {
      for (String q : List.of("Wq8", "Wq4")) {
        assertEquals(find(a, q), find(b, q), q + " unchanged");
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      float[] x = new float[2 * PatternModels.S * 16];
      try (OrtSession s = env.createSession(out.toString());
          OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, PatternModels.S, 16});
          OrtSession.Result r = s.run(Map.of("x", in))) {
        assertEquals(2 * PatternModels.S * 16, ((OnnxTensor) r.get(0)).getFloatBuffer().remaining());
      }
    }
  }

  private static TensorProto find(ModelFile m, String name) {
    return m.proto().getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow();
  }

  private static Map<String, PrunableTensor> byName(Inventory inv) {
    Map<String, PrunableTensor> out = new LinkedHashMap<>();
    inv.prunable().forEach(t -> out.put(t.name(), t));
    return out;
  }

  /**
   * Per weight, the sum over every token of each input feature squared, from the dense model's
   * activations (every consumer of a tied weight counted), along the axis the weight reduces.
   */
  private static Map<String, double[]> activationSquareSums(ModelFile m, Inventory inv) throws Exception {
    ModelProto.Builder b = m.proto().toBuilder();
    for (PrunableTensor t : inv.prunable()) {
      for (Consumer c : t.consumers()) {
        b.getGraphBuilder().addOutput(ValueInfoProto.newBuilder().setName(c.activation()));
      }
    }
    Map<String, double[]> out = new HashMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[] x = readNpy(m.path().getParent().resolve("calib/x.npy"));
    try (OrtSession s = env.createSession(b.build().toByteArray());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
            new long[] {SAMPLES, PatternModels.S, PatternModels.H});
        OrtSession.Result r = s.run(Map.of("x", in))) {
      for (PrunableTensor t : inv.prunable()) {
        double[] ss = new double[t.columns()];
        for (Consumer c : t.consumers()) {
          OnnxTensor a = (OnnxTensor) r.get(c.activation()).orElseThrow();
          long[] shape = a.getInfo().getShape();
          float[] v = a.getFloatBuffer().array();
          boolean second = EXPECTED.get(t.name()).featuresSecondToLast();
          int last = (int) shape[shape.length - 1];
          int features = second ? (int) shape[shape.length - 2] : last;
          assertEquals(t.columns(), features, t.name());
          for (int i = 0; i < v.length; i++) {
            int f = second ? (i / last) % features : i % last;
            ss[f] += (double) v[i] * v[i];
          }
        }
        out.put(t.name(), ss);
      }
    }
    return out;
  }

  private static float[] run(ModelProto model, Path file) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[] x = readNpy(file.getParent().resolve("calib/x.npy"));
    try (OrtSession s = env.createSession(model.toByteArray());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
            new long[] {SAMPLES, PatternModels.S, PatternModels.H});
        OrtSession.Result r = s.run(Map.of("x", in))) {
      float[] out = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
      for (float f : out) {
        assertTrue(Float.isFinite(f));
      }
      return out;
    }
  }

  private static float[] readNpy(Path file) throws Exception {
    byte[] all = Files.readAllBytes(file);
    int headerLength = (all[8] & 0xff) | (all[9] & 0xff) << 8;
    ByteBuffer b = ByteBuffer.wrap(all, 10 + headerLength, all.length - 10 - headerLength)
        .order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  private static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  }

  static List<String> names(Inventory inv) {
    return inv.prunable().stream().map(PrunableTensor::name).toList();
  }
}
