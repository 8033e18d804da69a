package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.UnsafeByteOperations;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The view of a MatMul weight ({@code [in, out]} stored) is its transpose, both ways, in every type. */
class WeightCodecTest {
  @TempDir Path tmp;

  /** Stored {@code [3, 2]} = [[0, 1], [2, 3], [4, 5]]; the output-by-input view is [[0, 2, 4], [1, 3, 5]]. */
  @ParameterizedTest
  @EnumSource(value = DataType.class, names = {"FLOAT", "FLOAT16", "BFLOAT16"})
  void matMulWeightsAreViewedTransposedAndStoredBack(DataType type) {
    float[] stored = {0, 1, 2, 3, 4, 5};
    try (ModelFile m = ModelFile.read(model(type, stored, false))) {
      PrunableTensor t = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT).prunable().get(0);
      assertEquals(WeightLayout.IN_OUT, t.layout());
      assertEquals(2, t.rows());
      assertEquals(3, t.columns());
      float[] view = WeightCodec.readView(m, t);
      assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, view);
      ByteBuffer back = WeightCodec.storedBytes(t, view);
      assertEquals(bytes(type, stored), back, type.name());
    }
  }

  /** Typed {@code float_data} (no raw bytes) takes the general path: same view. */
  @Test
  void typedFloatDataGivesTheSameView() {
    try (ModelFile m = ModelFile.read(model(DataType.FLOAT, new float[] {0, 1, 2, 3, 4, 5}, true))) {
      PrunableTensor t = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT).prunable().get(0);
      assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, WeightCodec.readView(m, t));
    }
  }

  private Path model(DataType type, float[] stored, boolean typed) {
    TensorProto.Builder w = TensorProto.newBuilder().setName("w").setDataType(type.code()).addDims(3).addDims(2);
    if (typed) {
      for (float v : stored) {
        w.addFloatData(v);
      }
    } else {
      ByteBuffer b = bytes(type, stored);
      byte[] raw = new byte[b.remaining()];
      b.get(raw);
      w.setRawData(UnsafeByteOperations.unsafeWrap(raw));
    }
    GraphProto g = GraphProto.newBuilder().setName("g")
        .addInput(ValueInfoProto.newBuilder().setName("x"))
        .addNode(NodeProto.newBuilder().setName("/layers.0/MatMul").setOpType("MatMul").addInput("x").addInput("w")
            .addOutput("y"))
        .addOutput(ValueInfoProto.newBuilder().setName("y"))
        .addInitializer(w).build();
    ModelProto model = ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
    Path out = tmp.resolve(type + (typed ? "-typed" : "") + ".onnx");
    ModelWriter.write(model, null, out, ExternalDataPolicy.NEVER);
    return out;
  }

  /** The little-endian bytes of small integers 0..5 in {@code type}, written out by hand. */
  private static ByteBuffer bytes(DataType type, float[] values) {
    short[] half = {0x0000, 0x3C00, 0x4000, 0x4200, 0x4400, 0x4500};
    short[] bf16 = {0x0000, 0x3F80, 0x4000, 0x4040, 0x4080, 0x40A0};
    ByteBuffer b = ByteBuffer.allocate(values.length * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      switch (type) {
        case FLOAT -> b.putFloat(v);
        case FLOAT16 -> b.putShort(half[(int) v]);
        default -> b.putShort(bf16[(int) v]);
      }
    }
    return b.flip();
  }
}
