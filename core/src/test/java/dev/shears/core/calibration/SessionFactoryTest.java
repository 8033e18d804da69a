package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.core.TestModels;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.testdata.BundledModels;
import org.junit.jupiter.api.Test;

class SessionFactoryTest {

  /** tinyclip's largest weight is 128 x 512: one thread per operator; MiniLM's 384 x 1536: all cores. */
  @Test
  void smallOperatorsRunOnOneThread() {
    try (ModelFile tiny = ModelFile.read(BundledModels.tinyClip().resolve("model.onnx"));
        ModelFile mini = ModelFile.read(TestModels.miniLm())) {
      assertEquals(1, SessionFactory.intraOpThreads(tiny.proto().getGraph(), 8));
      assertEquals(8, SessionFactory.intraOpThreads(mini.proto().getGraph(), 8));
    }
  }

  /** Weights that are not initializers (fed as inputs) tell nothing about size: every core. */
  @Test
  void withoutWeightInitializersEveryCoreIsUsed() {
    GraphProto g = GraphProto.newBuilder()
        .addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("w").addOutput("y")).build();
    assertEquals(8, SessionFactory.intraOpThreads(g, 8));
  }
}
