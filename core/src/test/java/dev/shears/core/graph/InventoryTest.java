package dev.shears.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.SubLayer;
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

  @Test
  void subLayersComeFromTheStructure() {
    try (ModelFile m = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"))) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      for (PrunableTensor t : inv.prunable()) {
        String node = t.consumers().get(0).node();
        assertEquals(node.contains("/self_attn/") ? SubLayer.ATTENTION : SubLayer.FEED_FORWARD, t.subLayer(), node);
      }
    }
    // one block: self-attention, cross-attention reading the graph input "image", an MLP;
    // names say nothing ("s0", "s1", ...), so only the structure can tell them apart
    GraphProto g = GraphProto.newBuilder()
        .addInitializer(weight("Wq", 1, 4, 4))
        .addInitializer(weight("Wo", 1, 4, 4))
        .addInitializer(weight("Wc", 1, 4, 4))
        .addInitializer(weight("Wk", 1, 4, 4))
        .addInitializer(weight("Wco", 1, 4, 4))
        .addInitializer(weight("Wup", 1, 4, 8))
        .addInitializer(weight("Wdown", 1, 8, 4))
        .addNode(node("/enc/layers.0/s0", "Identity", List.of("x"), "h0"))
        .addNode(node("/enc/layers.0/s1", "MatMul", List.of("h0", "Wq"), "q"))
        .addNode(node("/enc/layers.0/s2", "Softmax", List.of("q"), "a"))
        .addNode(node("/enc/layers.0/s3", "MatMul", List.of("a", "Wo"), "o"))
        .addNode(node("/enc/layers.0/s4", "Add", List.of("h0", "o"), "h1"))
        .addNode(node("/enc/layers.0/s5", "MatMul", List.of("h1", "Wc"), "c"))
        .addNode(node("/enc/layers.0/s6", "MatMul", List.of("image", "Wk"), "k"))
        .addNode(node("/enc/layers.0/s7", "Add", List.of("c", "k"), "ck"))
        .addNode(node("/enc/layers.0/s8", "Softmax", List.of("ck"), "cs"))
        .addNode(node("/enc/layers.0/s9", "MatMul", List.of("cs", "Wco"), "co"))
        .addNode(node("/enc/layers.0/s10", "Add", List.of("h1", "co"), "h2"))
        .addNode(node("/enc/layers.0/s11", "MatMul", List.of("h2", "Wup"), "u"))
        .addNode(node("/enc/layers.0/s12", "Relu", List.of("u"), "r"))
        .addNode(node("/enc/layers.0/s13", "MatMul", List.of("r", "Wdown"), "d"))
        .addNode(node("/enc/layers.0/s14", "Add", List.of("h2", "d"), "y"))
        .addInput(dev.shears.core.onnx.proto.Onnx.ValueInfoProto.newBuilder().setName("x"))
        .addInput(dev.shears.core.onnx.proto.Onnx.ValueInfoProto.newBuilder().setName("image"))
        .addOutput(dev.shears.core.onnx.proto.Onnx.ValueInfoProto.newBuilder().setName("y"))
        .build();
    Inventory inv = Inventory.of(g, SelectionRules.DEFAULT);
    java.util.Map<String, SubLayer> kinds = new java.util.TreeMap<>();
    inv.prunable().forEach(t -> kinds.put(t.name(), t.subLayer()));
    assertEquals(java.util.Map.of("Wq", SubLayer.ATTENTION, "Wo", SubLayer.ATTENTION,
        "Wc", SubLayer.CROSS_ATTENTION, "Wk", SubLayer.CROSS_ATTENTION, "Wco", SubLayer.CROSS_ATTENTION,
        "Wup", SubLayer.FEED_FORWARD, "Wdown", SubLayer.FEED_FORWARD), kinds);
    assertEquals(1, inv.blocks().size(), "cross-attention and the MLP belong to the self-attention's block");
  }

  @Test
  void blocksFoundByNamesHaveNoKnownSubLayer() {
    GraphProto g = GraphProto.newBuilder()
        .addInitializer(weight("W", 1, 8, 4))
        .addNode(node("/enc/layers.0/a/MatMul", "MatMul", List.of("x", "W"), "y"))
        .build();
    assertEquals(SubLayer.UNKNOWN, Inventory.of(g, SelectionRules.DEFAULT).prunable().get(0).subLayer());
  }
}
