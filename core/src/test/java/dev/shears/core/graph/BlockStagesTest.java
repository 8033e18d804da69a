package dev.shears.core.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.core.TestModels;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.testdata.BundledModels;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BlockStagesTest {

  @Test
  void clipTowersShareStagesLayerByLayer() {
    try (ModelFile m = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"))) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      List<List<String>> stages = BlockStages.of(m.proto().getGraph(), inv.blocks());
      assertEquals(4, stages.size());
      for (int i = 0; i < 4; i++) {
        assertEquals(List.of("/vision_model/encoder/layers." + i, "/text_model/encoder/layers." + i), stages.get(i));
      }
    }
  }

  @Test
  void aSingleTowerKeepsOneBlockPerStage() {
    try (ModelFile m = ModelFile.read(TestModels.miniLm())) {
      Inventory inv = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT);
      List<List<String>> stages = BlockStages.of(m.proto().getGraph(), inv.blocks());
      assertEquals(6, stages.size());
      for (int i = 0; i < 6; i++) {
        assertEquals(List.of("/encoder/layer." + i), stages.get(i));
      }
    }
  }

  /** A text block that cross-attends to the image tower's output waits for the whole tower. */
  @Test
  void crossAttentionWaitsForTheTowerItReads() {
    GraphProto g = GraphProto.newBuilder()
        .addNode(node("/img/layers.0/MatMul", "pixels", "/img/layers.0/w", "i0"))
        .addNode(node("/img/layers.1/MatMul", "i0", "/img/layers.1/w", "i1"))
        .addNode(node("/img/post/Norm", "i1", "image"))
        .addNode(node("/txt/layers.0/MatMul", "ids", "/txt/layers.0/w", "t0"))
        .addNode(node("/txt/layers.1/cross/MatMul", "image", "/txt/layers.1/w", "c1"))
        .addNode(node("/txt/layers.1/Add", "t0", "c1", "t1"))
        .addNode(node("/txt/layers.2/MatMul", "t1", "/txt/layers.2/w", "t2"))
        .build();
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    blocks.put("/img/layers.0", List.of(tensor("/img/layers.0", "pixels")));
    blocks.put("/img/layers.1", List.of(tensor("/img/layers.1", "i0")));
    blocks.put("/txt/layers.0", List.of(tensor("/txt/layers.0", "ids")));
    blocks.put("/txt/layers.1", List.of(tensor("/txt/layers.1", "image")));
    blocks.put("/txt/layers.2", List.of(tensor("/txt/layers.2", "t1")));
    assertEquals(List.of(List.of("/img/layers.0", "/txt/layers.0"), List.of("/img/layers.1"),
        List.of("/txt/layers.1"), List.of("/txt/layers.2")), BlockStages.of(g, blocks));
  }

  /** Blocks handed in an order that contradicts the data flow are not regrouped. */
  @Test
  void blocksOutOfDataFlowOrderKeepTheirOrder() {
    GraphProto g = GraphProto.newBuilder()
        .addNode(node("/m/layers.0/MatMul", "x", "/m/layers.0/w", "h0"))
        .addNode(node("/m/layers.1/MatMul", "h0", "/m/layers.1/w", "h1"))
        .addNode(node("/n/layers.0/MatMul", "y", "/n/layers.0/w", "k0"))
        .build();
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    blocks.put("/m/layers.1", List.of(tensor("/m/layers.1", "h0")));
    blocks.put("/m/layers.0", List.of(tensor("/m/layers.0", "x")));
    blocks.put("/n/layers.0", List.of(tensor("/n/layers.0", "y")));
    assertEquals(List.of(List.of("/m/layers.1"), List.of("/m/layers.0"), List.of("/n/layers.0")),
        BlockStages.of(g, blocks));
  }

  private static NodeProto node(String name, String... io) {
    NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType("MatMul");
    for (int i = 0; i < io.length - 1; i++) {
      n.addInput(io[i]);
    }
    return n.addOutput(io[io.length - 1]).build();
  }

  /** The block's weight {@code BLOCK/w}, read by the block's MatMul on {@code activation}. */
  private static PrunableTensor tensor(String block, String activation) {
    return new PrunableTensor(block + "/w", 0, block, "", DataType.FLOAT, WeightLayout.IN_OUT, 1, 1,
        List.of(new Consumer(block + "/MatMul", "MatMul", activation, 0)));
  }
}
