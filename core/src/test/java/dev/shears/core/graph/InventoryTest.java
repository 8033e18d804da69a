package dev.shears.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.onnx.ModelFile;
import dev.shears.core.TestModels;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.testdata.BundledModels;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class InventoryTest {

  @Test
  void tinyClipHas48TensorsIn8BlocksOf2Towers() {
    try (ModelFile m = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"))) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(48, inv.prunable().size());
      assertEquals(8, inv.blocks().size());
      assertEquals(List.of("/vision_model/encoder", "/text_model/encoder"), List.copyOf(inv.towers().keySet()));
      assertEquals(1_572_864, inv.parameters());
      PrunableTensor fc1 = inv.prunable().stream()
          .filter(t -> t.consumers().get(0).node().equals("/vision_model/encoder/layers.0/mlp/fc1/MatMul"))
          .findFirst().orElseThrow();
      assertEquals(512, fc1.rows());
      assertEquals(128, fc1.columns());
      assertEquals(WeightLayout.IN_OUT, fc1.layout());
      assertEquals("/vision_model/encoder/layers.0", fc1.block());
      assertEquals(3, inv.skipped().size(), "the two projection heads and the patch embedding");
      assertTrue(inv.skipped().stream().anyMatch(s -> s.reason().startsWith("convolution weight (Conv)")),
          inv.skipped().toString());
      assertEquals(2, inv.skipped().stream().filter(s -> s.reason().startsWith("outside the transformer blocks"))
          .count(), inv.skipped().toString());
    }
  }

  @Test
  void includeAddsProjectionHeadsAndExcludeRemoves() {
    try (ModelFile m = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"))) {
      GraphProto g = m.proto().getGraph();
      Inventory withHeads = Inventory.of(g, new SelectionRules(List.of(Pattern.compile("_projection/")), List.of()));
      assertEquals(50, withHeads.prunable().size());
      Inventory noMlp = Inventory.of(g, new SelectionRules(List.of(), List.of(Pattern.compile("/mlp/"))));
      assertEquals(32, noMlp.prunable().size());
      InvalidSelectionException e = assertThrows(InvalidSelectionException.class,
          () -> Inventory.of(g, new SelectionRules(List.of(), List.of(Pattern.compile("no-such-node")))));
      assertTrue(e.getMessage().contains("--exclude 'no-such-node' matches no"), e.getMessage());
    }
  }

  @Test
  void miniLmHas36TensorsIn6Blocks() {
    try (ModelFile m = ModelFile.read(TestModels.miniLm())) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(36, inv.prunable().size());
      assertEquals(6, inv.blocks().size());
      assertEquals(List.of("/encoder"), List.copyOf(inv.towers().keySet()));
    }
  }

  private static TensorProto weight(String name, int type, long... dims) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type);
    long n = 1;
    for (long d : dims) {
      b.addDims(d);
      n *= d;
    }
    int width = type == 1 ? 4 : type == 10 ? 2 : 1;
    return b.setRawData(com.google.protobuf.ByteString.copyFrom(new byte[(int) (n * width)])).build();
  }

  private static NodeProto node(String name, String op, List<String> in, String out, AttributeProto... attrs) {
    NodeProto.Builder b = NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(in).addOutput(out);
    for (AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    return b.build();
  }

  @Test
  void identityChainsSharedWeightsGemmAndQuantizedWeights() {
    GraphProto g = GraphProto.newBuilder()
        .addInitializer(weight("W", 1, 8, 4))
        .addInitializer(weight("G", 10, 4, 8))
        .addInitializer(weight("Q", 3, 8, 8))
        .addNode(node("/enc/layers.0/id1", "Identity", List.of("W"), "W1"))
        .addNode(node("/enc/layers.0/id2", "Identity", List.of("W1"), "W2"))
        .addNode(node("/enc/layers.0/a/MatMul", "MatMul", List.of("x", "W2"), "y"))
        .addNode(node("/enc/layers.1/b/MatMul", "MatMul", List.of("y2", "W"), "z"))
        .addNode(node("/enc/layers.1/g/Gemm", "Gemm", List.of("z2", "G"), "u",
            AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT).setI(1).build()))
        .addNode(node("/enc/layers.1/q/MatMulInteger", "MatMulInteger", List.of("x8", "Q"), "v"))
        .addNode(node("/enc/layers.1/attn/MatMul", "MatMul", List.of("y", "z"), "s"))
        .build();
    Inventory inv = Inventory.of(g, SelectionRules.DEFAULT);
    assertEquals(2, inv.prunable().size());
    PrunableTensor w = inv.prunable().get(0);
    assertEquals("W", w.name());
    assertEquals(2, w.consumers().size(), "one tensor, two consumers");
    assertEquals("x", w.consumers().get(0).activation());
    assertEquals("/enc/layers.0", w.block());
    assertEquals(4, w.rows());
    assertEquals(8, w.columns());
    PrunableTensor gemm = inv.prunable().get(1);
    assertEquals(WeightLayout.OUT_IN, gemm.layout());
    assertEquals(4, gemm.rows());
    assertEquals(8, gemm.columns());
    assertEquals(dev.shears.core.onnx.DataType.FLOAT16, gemm.dataType());
    assertEquals(1, inv.skipped().size());
    assertTrue(inv.skipped().get(0).reason().startsWith("quantized"), inv.skipped().get(0).reason());
  }

  @Test
  void blockNamesFollowTheNumberedSegment() {
    assertEquals("/vision_model/encoder/layers.3", BlockNames.locate("/vision_model/encoder/layers.3/mlp/fc1/MatMul").block());
    assertEquals("/vision_model/encoder", BlockNames.locate("/vision_model/encoder/layers.3/mlp/fc1/MatMul").tower());
    assertEquals("/transformer/h.11", BlockNames.locate("/transformer/h.11/attn/c_attn/MatMul").block());
    assertEquals("visual.transformer.resblocks.2", BlockNames.locate("visual.transformer.resblocks.2.attn.MatMul").block());
    assertEquals(null, BlockNames.locate("/visual_projection/MatMul"));
    assertEquals(null, BlockNames.locate("/encoder/highway.3/MatMul"));
  }
}
