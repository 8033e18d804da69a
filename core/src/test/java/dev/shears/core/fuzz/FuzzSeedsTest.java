package dev.shears.core.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.SparseTensorProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed inputs of the fuzz tests: a few tiny valid models (inline, external data, sparse
 * initializer, typed fields, fp16, a string tensor) and small {@code .npy} files of every
 * supported dtype and header version. Committed under {@code src/test/resources}; this test checks
 * that the committed files are what this class generates (regenerate with
 * {@code -Dshears.writeSeeds=true}) and that the model seeds are valid, so that fuzzing starts
 * from inputs that reach past the parser.
 */
class FuzzSeedsTest {
  static final Path RESOURCES = Path.of("src/test/resources/dev/shears/core/fuzz");

  @TempDir Path tmp;

  @Test
  void committedSeedsAreCurrentAndValid() throws IOException {
    boolean write = Boolean.getBoolean("shears.writeSeeds");
    Map<String, byte[]> models = models();
    Map<String, byte[]> npys = npys();
    check(write, RESOURCES.resolve("ModelFileFuzzTestInputs"), models);
    check(write, RESOURCES.resolve("NpyReaderFuzzTestInputs"), npys);
    Files.write(tmp.resolve(ModelFileFuzzTest.EXTERNAL_FILE), ModelFileFuzzTest.externalBytes());
    for (Map.Entry<String, byte[]> e : models.entrySet()) {
      Path f = tmp.resolve(e.getKey() + ".onnx");
      Files.write(f, e.getValue());
      try (ModelFile m = ModelFile.read(f)) {
        assertTrue(m.proto().getGraph().getNodeCount() > 0);
      }
    }
  }

  private static void check(boolean write, Path dir, Map<String, byte[]> seeds) throws IOException {
    if (write) {
      Files.createDirectories(dir);
    }
    for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
      Path f = dir.resolve(e.getKey());
      if (write) {
        Files.write(f, e.getValue());
      }
      assertArrayEquals(e.getValue(), Files.readAllBytes(f), f + " is stale; run with -Dshears.writeSeeds=true");
    }
  }

  // --- models ------------------------------------------------------------------------------

  static Map<String, byte[]> models() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("inline", model(weight("w", 8, 8), false).toByteArray());
    TensorProto ext = weight("w", 8, 8).toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", ModelFileFuzzTest.EXTERNAL_FILE))
        .addExternalData(entry("offset", "0"))
        .addExternalData(entry("length", "256"))
        .build();
    m.put("external", model(ext, false).toByteArray());
    TensorProto.Builder typed = weight("w", 8, 8).toBuilder().clearRawData();
    for (int i = 0; i < 64; i++) {
      typed.addFloatData(i / 64f);
    }
    m.put("typed", model(typed.build(), true).toByteArray());
    // the weight as a sparse initializer with 4 linear indices
    ModelProto dense = model(weight("w", 8, 8), false);
    ModelProto.Builder sparse = dense.toBuilder();
    GraphProto.Builder g = sparse.getGraphBuilder();
    g.removeInitializer(0);
    ByteBuffer values = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3).putFloat(4);
    ByteBuffer idx = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(9).putLong(18).putLong(27);
    g.addSparseInitializer(SparseTensorProto.newBuilder()
        .setValues(TensorProto.newBuilder().setName("w").setDataType(1).addDims(4).setRawData(ByteString.copyFrom(values.array())))
        .setIndices(TensorProto.newBuilder().setName("w_indices").setDataType(7).addDims(4).setRawData(ByteString.copyFrom(idx.array())))
        .addDims(8).addDims(8));
    m.put("sparse", sparse.build().toByteArray());
    return m;
  }

  static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  /** A fp32 tensor with raw data 0, 1/n, 2/n ... */
  static TensorProto weight(String name, int rows, int cols) {
    ByteBuffer b = ByteBuffer.allocate(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < rows * cols; i++) {
      b.putFloat(i / (float) (rows * cols));
    }
    return TensorProto.newBuilder().setName(name).setDataType(1).addDims(rows).addDims(cols)
        .setRawData(ByteString.copyFrom(b.array())).build();
  }

  /** x[1,8] · w[8,8] + b[8], then · h[8,4] (fp16), with a string initializer on the side. */
  static ModelProto model(TensorProto w, boolean typedBias) {
    TensorProto.Builder bias = TensorProto.newBuilder().setName("b").setDataType(1).addDims(8);
    if (typedBias) {
      for (int i = 0; i < 8; i++) {
        bias.addFloatData(i);
      }
    } else {
      bias.setRawData(ByteString.copyFrom(new byte[32]));
    }
    TensorProto half = TensorProto.newBuilder().setName("h").setDataType(10).addDims(8).addDims(4)
        .setRawData(ByteString.copyFrom(new byte[64])).build();
    TensorProto text = TensorProto.newBuilder().setName("s").setDataType(8).addDims(1)
        .addStringData(ByteString.copyFromUtf8("label")).build();
    GraphProto g = GraphProto.newBuilder().setName("seed")
        .addInput(input("x", 1, 8))
        .addInitializer(w).addInitializer(bias).addInitializer(half).addInitializer(text)
        .addNode(NodeProto.newBuilder().setName("mm").setOpType("MatMul").addInput("x").addInput("w").addOutput("xw"))
        .addNode(NodeProto.newBuilder().setName("add").setOpType("Add").addInput("xw").addInput("b").addOutput("y"))
        .addNode(NodeProto.newBuilder().setName("cast").setOpType("Cast").addInput("y").addOutput("y16"))
        .addNode(NodeProto.newBuilder().setName("mm2").setOpType("MatMul").addInput("y16").addInput("h").addOutput("z"))
        .addOutput(input("z", 1, 4))
        .build();
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("shears-fuzz-seed")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
  }

  static ValueInfoProto input(String name, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
  }

  // --- .npy --------------------------------------------------------------------------------

  static Map<String, byte[]> npys() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("f4.npy", npy(1, "<f4", "(2, 3)", 24));
    m.put("f8.npy", npy(1, "<f8", "(3,)", 24));
    m.put("i8.npy", npy(1, "<i8", "(2, 2)", 32));
    m.put("i4-v2.npy", npy(2, "<i4", "(2, 5)", 40));
    m.put("u1-v3.npy", npy(3, "|u1", "(4, 1, 2)", 8));
    m.put("b1.npy", npy(1, "|b1", "(3, 0)", 0));
    return m;
  }

  static byte[] npy(int major, String descr, String shape, int dataBytes) {
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    int preamble = major == 1 ? 10 : 12;
    int total = preamble + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    int len = header.length();
    if (major == 1) {
      out.writeBytes(new byte[] {(byte) len, (byte) (len >> 8)});
    } else {
      out.writeBytes(new byte[] {(byte) len, (byte) (len >> 8), (byte) (len >> 16), (byte) (len >> 24)});
    }
    out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
    for (int i = 0; i < dataBytes; i++) {
      out.write(i * 37 + 1);
    }
    return out.toByteArray();
  }
}
