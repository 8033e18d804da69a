package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.api.ModelRun;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One linear layer with a squared-error loss, where the gradient is known in closed form: the
 * central difference of a quadratic is exact, so the estimate is the mean of |zᵀg| over random
 * directions, whose expectation is sqrt(2/π)·‖g‖.
 */
class ZerothOrderEstimatorTest {
  static final int N = 16;
  static final int IN = 4;
  static final int OUT = 3;
  @TempDir Path tmp;

  /** L = 1/(2n) Σ_i ‖y_i − (d_i + 1)‖², d the dense output: the residual at W0 is −1 everywhere. */
  static final class ShiftedSquaredError implements CalibrationLoss {
    @Override
    public boolean appliesTo(Set<String> outputNames) {
      return outputNames.contains("y");
    }

    @Override
    public double loss(ModelRun candidate, ModelRun dense) {
      FloatTensor y = candidate.output("y");
      FloatTensor d = dense.output("y");
      double total = 0;
      for (int i = 0; i < y.size(); i++) {
        double r = y.get(i) - (d.get(i) + 1.0);
        total += r * r;
      }
      return total / (2.0 * y.dim(0));
    }
  }

  static final class InMemorySource implements CalibrationSource {
    final float[] x;

    InMemorySource(float[] x) {
      this.x = x;
    }

    @Override
    public String describe() {
      return "in memory";
    }

    @Override
    public List<String> inputNames() {
      return List.of("x");
    }

    @Override
    public int sampleCount() {
      return N;
    }

    @Override
    public BatchReader open(int batchSize) {
      return new BatchReader() {
        boolean done;

        @Override
        public CalibrationBatch next() {
          if (done) {
            return null;
          }
          done = true;
          return new CalibrationBatch(0, N, Map.of("x", HostTensor.of("x", new long[] {N, IN}, x.clone())));
        }

        @Override
        public void close() {}
      };
    }
  }

  private static ValueInfoProto floatInfo(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("n")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
  }

  @Test
  void expectedAbsoluteDirectionalDerivative() throws Exception {
    Random rnd = new Random(7);
    float[] w = new float[IN * OUT];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    float[] x = new float[N * IN];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rnd.nextGaussian() + 0.5);
    }
    ByteBuffer wb = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    wb.asFloatBuffer().put(w);
    GraphProto g = GraphProto.newBuilder().setName("linear")
        .addInput(floatInfo("x", -1, IN))
        .addOutput(floatInfo("y", -1, OUT))
        .addInitializer(TensorProto.newBuilder().setName("W").setDataType(1).addDims(IN).addDims(OUT)
            .setRawData(ByteString.copyFrom(wb.array())))
        .addNode(NodeProto.newBuilder().setName("/enc/layers.0/fc/MatMul").setOpType("MatMul")
            .addInput("x").addInput("W").addOutput("y"))
        .build();
    ModelProto proto = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
    Path file = tmp.resolve("linear.onnx");
    ModelWriter.write(proto, null, file, ExternalDataPolicy.NEVER);

    // g = ∂L/∂W = (1/n) Xᵀ(XW − D − 1) = −(1/n) Xᵀ 1: every column of W gets −colsum(X)/n
    double norm2 = 0;
    for (int k = 0; k < IN; k++) {
      double colsum = 0;
      for (int i = 0; i < N; i++) {
        colsum += x[i * IN + k];
      }
      norm2 += OUT * (colsum / N) * (colsum / N);
    }
    double expected = Math.sqrt(2 / Math.PI) * Math.sqrt(norm2);

    int directions = 1600;
    try (ModelFile model = ModelFile.read(file);
        OrtStatisticsEngine engine = new OrtStatisticsEngine(model, new InMemorySource(x), N, Device.CPU, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      Map<String, Double> importance = engine.blockImportance(inv.blocks(),
          new ZerothOrderSettings(1e-3, N, N, directions), new ShiftedSquaredError(), 1);
      double estimate = importance.get("/enc/layers.0");
      // mean of |N(0, σ²)| over 1600 draws: relative standard error 0.756/40 ≈ 1.9%
      assertEquals(expected, estimate, 0.08 * expected, "estimate " + estimate + " vs " + expected);
      Map<String, Double> again = engine.blockImportance(inv.blocks(),
          new ZerothOrderSettings(1e-3, N, N, directions), new ShiftedSquaredError(), 1);
      assertEquals(estimate, again.get("/enc/layers.0"), 0.0, "same seed, same estimate");
      double other = engine.blockImportance(inv.blocks(), new ZerothOrderSettings(1e-3, N, N, 4),
          new ShiftedSquaredError(), 2).get("/enc/layers.0");
      assertTrue(other != estimate);
    }
  }

  /**
   * A block's loss with its weight replaced, recomputed downstream only (ALGORITHM.md §1c),
   * against the same loss worked out here: {@code W' = W} with every other entry zeroed.
   */
  @Test
  void blockLossIncreaseMatchesTheHandComputedLoss() throws Exception {
    Random rnd = new Random(11);
    float[] w = new float[IN * OUT];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextGaussian();
    }
    float[] x = new float[N * IN];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    ByteBuffer wb = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    wb.asFloatBuffer().put(w);
    GraphProto g = GraphProto.newBuilder().setName("linear")
        .addInput(floatInfo("x", -1, IN))
        .addOutput(floatInfo("y", -1, OUT))
        .addInitializer(TensorProto.newBuilder().setName("W").setDataType(1).addDims(IN).addDims(OUT)
            .setRawData(ByteString.copyFrom(wb.array())))
        .addNode(NodeProto.newBuilder().setName("/enc/layers.0/fc/MatMul").setOpType("MatMul")
            .addInput("x").addInput("W").addOutput("y"))
        .build();
    ModelProto proto = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
    Path file = tmp.resolve("linear.onnx");
    ModelWriter.write(proto, null, file, ExternalDataPolicy.NEVER);

    float[] pruned = w.clone(); // stored [IN, OUT]
    for (int i = 0; i < pruned.length; i += 2) {
      pruned[i] = 0;
    }
    // L(W') - L(W) = 1/(2n) Σ_i Σ_j (x_i·(W' - W)_j - 1)² - OUT/2
    double sum = 0;
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < OUT; j++) {
        double delta = 0;
        for (int k = 0; k < IN; k++) {
          delta += x[i * IN + k] * ((double) pruned[k * OUT + j] - w[k * OUT + j]);
        }
        sum += (delta - 1) * (delta - 1);
      }
    }
    double expected = sum / (2.0 * N) - OUT / 2.0;
    ByteBuffer stored = ByteBuffer.allocate(pruned.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    stored.asFloatBuffer().put(pruned);
    try (ModelFile model = ModelFile.read(file);
        OrtStatisticsEngine engine = new OrtStatisticsEngine(model, new InMemorySource(x), N, Device.CPU, Progress.NONE)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      try (var losses = engine.blockLosses(inv.blocks(), new ZerothOrderSettings(1e-3, N, N, 1),
          new ShiftedSquaredError(), 1)) {
        double got = losses.lossIncrease("/enc/layers.0", Map.of("W", stored));
        assertEquals(expected, got, 1e-4 * Math.abs(expected), "got " + got + " vs " + expected);
        assertEquals(0, losses.lossIncrease("/enc/layers.0", Map.of()), 1e-6, "nothing replaced");
      }
    }
  }
}
