package dev.shears.core.synthetic;

import static dev.shears.core.synthetic.SyntheticClipBuilder.attr;
import static dev.shears.core.synthetic.SyntheticClipBuilder.ints;

import com.google.protobuf.ByteString;
import dev.shears.core.onnx.HalfFloats;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small models, built at test time, that hold the weight patterns exporters and runtimes
 * write: a weight behind a {@code Transpose} (no constant folding), a weight as a MatMul's
 * first operand ({@code y = W·x}), packed Q/K/V projections in {@code com.microsoft:Attention}
 * whose residual is a {@code com.microsoft:SkipLayerNormalization},
 * {@code Gemm} with and without {@code transB}, {@code FusedMatMul} with {@code transB}, an fp16
 * (or bf16) weight behind {@code Cast} and {@code Identity} used by two MatMuls (tied), and a
 * {@code FusedGemm} pooler outside the blocks. Each
 * pattern sits in a residual sub-layer ({@code h + f(h)}), so blocks are found by structure.
 * Node names are meaningless ({@code n0}, {@code n1}, …) on purpose.
 */
public final class PatternModels {
  /** Features of the residual stream. */
  public static final int H = 8;
  /** Tokens per sample. */
  public static final int S = 5;

  private final GraphProto.Builder g = GraphProto.newBuilder().setName("patterns");
  private final SplittableRandom rng = new SplittableRandom(11);
  private int nodes;
  private int halfType = 10;

  private PatternModels() {}

  /**
   * Writes {@code dir/model.onnx} and {@code dir/calib/x.npy} ({@code samples} samples of
   * {@code [S, H]}, feature {@code c} scaled by {@code 1.5^c} so that Wanda's norms, not the
   * weights' magnitudes, decide most of the mask).
   *
   * @param inputType 1 for a float input, 10 for float16 (the graph casts it to float)
   * @return the model file
   */
  public static Path linearPatterns(Path dir, int samples, int inputType) throws IOException {
    return linearPatterns(dir, samples, inputType, 17);
  }

  /** As above, declaring the given default-domain opset (11 and 17 both hold every node used). */
  public static Path linearPatterns(Path dir, int samples, int inputType, int opset) throws IOException {
    return linearPatterns(dir, samples, inputType, opset, 10);
  }

  /** As above, with {@code W5} stored as float16 (10) or bfloat16 (16). */
  public static Path linearPatterns(Path dir, int samples, int inputType, int opset, int halfType)
      throws IOException {
    Files.createDirectories(dir.resolve("calib"));
    PatternModels b = new PatternModels();
    b.halfType = halfType;
    ModelProto model = b.build(inputType, opset);
    Path file = dir.resolve("model.onnx");
    try (OutputStream out = Files.newOutputStream(file)) {
      model.writeTo(out);
    }
    float[] x = new float[samples * S * H];
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * Math.pow(1.5, i % H));
    }
    writeNpy(dir.resolve("calib/x.npy"), new long[] {samples, S, H}, x);
    return file;
  }

  /**
   * Writes {@code dir/model.onnx}: one residual sub-layer over 16 features holding an int8
   * weight behind {@code DequantizeLinear}, a 4-bit {@code MatMulNBits} weight ({@code Wq4}) and
   * one float weight ({@code Wf}), summed.
   */
  public static Path quantized(Path dir) throws IOException {
    Files.createDirectories(dir);
    PatternModels b = new PatternModels();
    GraphProto.Builder g = b.g;
    int k = 16;
    g.addInput(input("x", 1, "N", S, k));
    String h = b.node("Identity", List.of("x"));
    byte[] q = new byte[k * k];
    for (int i = 0; i < q.length; i++) {
      q[i] = (byte) (b.rng.nextInt(255) - 127);
    }
    g.addInitializer(TensorProto.newBuilder().setName("Wq8").setDataType(3).addDims(k).addDims(k)
        .setRawData(ByteString.copyFrom(q)));
    g.addInitializer(TensorProto.newBuilder().setName("q8scale").setDataType(1).setRawData(ByteString.copyFrom(
        floats(new float[] {0.01f}))));
    g.addInitializer(TensorProto.newBuilder().setName("q8zero").setDataType(3).setRawData(ByteString.copyFrom(
        new byte[] {0})));
    String deq = b.node("DequantizeLinear", List.of("Wq8", "q8scale", "q8zero"));
    String a = b.node("MatMul", List.of(h, deq));
    byte[] packed = new byte[k * 8];
    for (int i = 0; i < packed.length; i++) {
      packed[i] = (byte) b.rng.nextInt(256);
    }
    g.addInitializer(TensorProto.newBuilder().setName("Wq4").setDataType(2).addDims(k).addDims(1).addDims(8)
        .setRawData(ByteString.copyFrom(packed)));
    float[] scales = new float[k];
    java.util.Arrays.fill(scales, 0.02f);
    g.addInitializer(TensorProto.newBuilder().setName("q4scales").setDataType(1).addDims(k)
        .setRawData(ByteString.copyFrom(floats(scales))));
    String c = b.node("MatMulNBits", "com.microsoft", List.of(h, "Wq4", "q4scales"), attr("K", k), attr("N", k),
        attr("bits", 4), attr("block_size", 16));
    b.weight("Wf", k, k);
    String f = b.node("MatMul", List.of(h, "Wf"));
    String y = b.node("Add", List.of(h, b.node("Add", List.of(a, b.node("Add", List.of(c, f))))));
    g.addOutput(ValueInfoProto.newBuilder().setName(y));
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("shears-test-patterns")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
        .setGraph(g).build();
    Path file = dir.resolve("model.onnx");
    try (OutputStream out = Files.newOutputStream(file)) {
      model.writeTo(out);
    }
    return file;
  }

  private ModelProto build(int inputType, int opset) {
    g.addInput(input("x", inputType, "N", S, H));
    String h = node("Identity", List.of(inputType == 1 ? "x" : node("Cast", List.of("x"), attr("to", 1))));

    // 1: y = h + W2 · relu(h · Transpose(W1))ᵀ — a weight behind Transpose, and one as first operand
    weight("W1", 12, H); // stored [out, in]
    String a = node("MatMul", List.of(h, node("Transpose", List.of("W1"), ints("perm", 1, 0))));
    String bt = node("Transpose", List.of(node("Relu", List.of(a))), ints("perm", 0, 2, 1)); // [N, 12, S]
    weight("W2", H, 12); // [out, in], applied as W2 · bt
    String c = node("Transpose", List.of(node("MatMul", List.of("W2", bt))), ints("perm", 0, 2, 1));
    String y = node("Add", List.of(h, c));

    // 2: z = LayerNorm(y + Attention(y)) with packed Q, K, V, the residual fused by ONNX
    // Runtime's SkipLayerNormalization (as its transformer optimizer writes BERT)
    weight("Wqkv", H, 3 * H);
    vector("bqkv", 3 * H);
    String att = node("Attention", "com.microsoft", List.of(y, "Wqkv", "bqkv"), attr("num_heads", 2));
    vector("gamma", H);
    vector("beta", H);
    String z = node("SkipLayerNormalization", "com.microsoft", List.of(att, y, "gamma", "beta"));

    // 3: u = z2 + Gemm(relu(Gemm(z2, W3ᵀ)), W4) on the flattened tokens
    String z2 = node("Reshape", List.of(z, constant("shape2d", -1, H)));
    weight("W3", H, H); // transB = 1: [out, in]
    String g1 = node("Gemm", List.of(z2, "W3"), attr("transB", 1));
    weight("W4", H, H); // transB = 0: [in, out]
    String g2 = node("Gemm", List.of(node("Relu", List.of(g1)), "W4"));
    String u = node("Add", List.of(z2, g2));

    // 4: v = u + W5c(relu(W5c(u))) with W5 fp16 behind Cast and Identity, used twice (tied),
    // then FusedMatMul with transB = 1
    weightHalf("W5", H, H);
    String w5 = node("Identity", List.of(node("Cast", List.of("W5"), attr("to", 1))));
    String v1 = node("MatMul", List.of(u, w5));
    String v2 = node("MatMul", List.of(node("Relu", List.of(v1)), w5));
    weight("W6", H, H); // transB = 1: [out, in]
    String f = node("FusedMatMul", "com.microsoft", List.of(node("Relu", List.of(v2)), "W6"), attr("transB", 1));
    String v = node("Add", List.of(u, f));
    g.addOutput(ValueInfoProto.newBuilder().setName(v));
    // a pooler outside every block: FusedGemm (ONNX Runtime's Gemm + activation) on the first token
    String first = node("Gather", List.of(v, constant("first", 0)), attr("axis", 0));
    weight("Wpool", H, H); // transB = 1
    String pooled = node("FusedGemm", "com.microsoft", List.of(first, "Wpool"), attr("transB", 1),
        AttributeProto.newBuilder().setName("activation").setType(AttributeProto.AttributeType.STRING)
            .setS(ByteString.copyFromUtf8("Tanh")).build());
    g.addOutput(ValueInfoProto.newBuilder().setName(pooled));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("shears-test-patterns")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
        .setGraph(g).build();
  }

  private String node(String op, List<String> inputs, AttributeProto... attrs) {
    return node(op, "", inputs, attrs);
  }

  private String node(String op, String domain, List<String> inputs, AttributeProto... attrs) {
    String name = "n" + nodes++;
    NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(op).setDomain(domain)
        .addAllInput(inputs).addOutput(name + "_out");
    for (AttributeProto a : attrs) {
      n.addAttribute(a);
    }
    g.addNode(n);
    return name + "_out";
  }

  private void weight(String name, int d0, int d1) {
    float[] v = new float[d0 * d1];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rng.nextGaussian() * 0.3);
    }
    g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(1).addDims(d0).addDims(d1)
        .setRawData(ByteString.copyFrom(floats(v))));
  }

  private void weightHalf(String name, int d0, int d1) {
    ByteBuffer b = ByteBuffer.allocate(d0 * d1 * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < d0 * d1; i++) {
      float v = (float) (rng.nextGaussian() * 0.3);
      b.putShort(halfType == 10 ? HalfFloats.floatToHalf(v) : (short) (Float.floatToIntBits(v) >>> 16));
    }
    g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(halfType).addDims(d0).addDims(d1)
        .setRawData(ByteString.copyFrom(b.array())));
  }

  private void vector(String name, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rng.nextGaussian() * 0.1);
    }
    g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(1).addDims(n)
        .setRawData(ByteString.copyFrom(floats(v))));
  }

  private String constant(String name, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(7).addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    g.addInitializer(t);
    return name;
  }

  private static byte[] floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  private static ValueInfoProto input(String name, int type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      if (d instanceof String s) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
      } else {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue((Integer) d));
      }
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
  }

  /** A little-endian float32 {@code .npy} file (version 1.0). */
  public static void writeNpy(Path file, long[] shape, float[] data) throws IOException {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims.toString().trim() + "), }";
    int total = 10 + header.length() + 1;
    int pad = (64 - total % 64) % 64;
    header = header + " ".repeat(pad) + "\n";
    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
    for (float f : data) {
      b.putFloat(f);
    }
    Files.write(file, b.array());
  }
}
