package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.core.synthetic.SyntheticClipBuilder;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single-tower models end to end with the defaults (ECoFLaP + Wanda, sequential): a ViT-style
 * classifier whose output is {@code logits} (the loss picked is cross-entropy against the
 * dense model's predictions), and a BERT with {@code token_type_ids}, {@code last_hidden_state}
 * and {@code pooler_output} (all-MiniLM-L6-v2 with a pooler added; the embedding loss).
 */
class SingleTowerTest {
  @TempDir Path tmp;

  @Test
  void vitClassifier() throws Exception {
    Path model = SyntheticClipBuilder.buildClassifier(tmp.resolve("vit"), 32, 3, 10, 16);
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(3, inv.blocks().size());
      assertTrue(inv.skipped().stream().anyMatch(s -> s.name().equals("classifier.weight")
          && s.reason().startsWith("outside the transformer blocks")), inv.skipped().toString());
    }
    CalibrationConfig calib = new CalibrationConfig(tmp.resolve("vit/calib"), null, CalibrationSources.Format.NPY,
        16, 8, "cpu");
    PruneReport r = prune(model, tmp.resolve("vit/pruned.onnx"), calib, "allocator.samples", "16");
    assertEquals("classifier", r.settings().get("loss"));
    assertEquals(0.5, r.totals().sparsity(), 0.0001);
    OrtEnvironment.getEnvironment().createSession(tmp.resolve("vit/pruned.onnx").toString(),
        new OrtSession.SessionOptions()).close();
  }

  @Test
  void bertWithTokenTypesAndAPooler() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("bert"));
    Path model = dir.resolve("model.onnx");
    try (ModelFile m = ModelFile.read(TestModels.miniLm())) {
      ModelProto.Builder b = m.proto().toBuilder();
      GraphProto.Builder g = b.getGraphBuilder();
      String hidden = g.getOutput(0).getName();
      int h = 384;
      float[] w = new float[h * h];
      for (int i = 0; i < h; i++) {
        w[i * h + i] = 1f;
      }
      ByteBuffer bytes = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(w);
      g.addInitializer(TensorProto.newBuilder().setName("pooler.dense.weight").setDataType(1).addDims(h).addDims(h)
          .setRawData(ByteString.copyFrom(bytes.array())));
      g.addInitializer(TensorProto.newBuilder().setName("pooler.first").setDataType(7).addInt64Data(0));
      g.addNode(NodeProto.newBuilder().setName("/pooler/Gather").setOpType("Gather").addInput(hidden)
          .addInput("pooler.first").addOutput("pooler/first").addAttribute(AttributeProto.newBuilder().setName("axis")
              .setType(AttributeProto.AttributeType.INT).setI(1)));
      g.addNode(NodeProto.newBuilder().setName("/pooler/dense/Gemm").setOpType("Gemm").addInput("pooler/first")
          .addInput("pooler.dense.weight").addOutput("pooler/dense").addAttribute(AttributeProto.newBuilder()
              .setName("transB").setType(AttributeProto.AttributeType.INT).setI(1)));
      g.addNode(NodeProto.newBuilder().setName("/pooler/activation/Tanh").setOpType("Tanh").addInput("pooler/dense")
          .addOutput("pooler_output"));
      g.addOutput(ValueInfoProto.newBuilder().setName("pooler_output"));
      try (OutputStream out = Files.newOutputStream(model)) {
        b.build().writeTo(out);
      }
    }
    Files.copy(TestModels.miniLm().getParent().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(36, inv.prunable().size());
      assertTrue(inv.skipped().stream().anyMatch(s -> s.name().equals("pooler.dense.weight")), inv.skipped().toString());
    }
    CalibrationConfig calib = new CalibrationConfig(TestModels.miniLmCalib(tmp), null,
        CalibrationSources.Format.CAPTIONS, 16, 8, "cpu");
    PruneReport r = prune(model, dir.resolve("pruned.onnx"), calib, "allocator.samples", "8");
    assertEquals("embedding", r.settings().get("loss"));
    assertEquals(0.5, r.totals().sparsity(), 0.0001);
    try (OrtSession s = OrtEnvironment.getEnvironment().createSession(dir.resolve("pruned.onnx").toString(),
        new OrtSession.SessionOptions())) {
      assertEquals(List.of("last_hidden_state", "pooler_output"), List.copyOf(s.getOutputNames()));
      assertTrue(s.getInputNames().contains("token_type_ids"));
    }
  }

  private static PruneReport prune(Path model, Path out, CalibrationConfig calib, String key, String value) {
    return new PruneJob(model, out, null, SelectionRules.DEFAULT, new PruneOptions(0.5,
        SparsityPattern.unstructured(), "wanda", "ecoflap", null, Map.of(key, value), Mode.SEQUENTIAL, 0),
        ExternalDataPolicy.AUTO).run(StrategyRegistry.load(SingleTowerTest.class.getClassLoader()), Progress.NONE,
            m -> calib.open(m, Progress.NONE));
  }
}
