package dev.shears.core.synthetic;

import com.google.protobuf.ByteString;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a CLIP-shaped dual encoder of any size, with random weights, its weights in an
 * external data file, plus a few calibration samples as {@code .npy}: for scale tests that
 * must not commit gigabytes. Node names follow the Hugging Face export
 * ({@code /vision_model/encoder/layers.N/...}) so the inventory finds the blocks.
 *
 * <pre>java -cp … dev.shears.core.synthetic.SyntheticClipBuilder OUT_DIR HIDDEN LAYERS [fp32|fp16] [SAMPLES]</pre>
 */
public final class SyntheticClipBuilder {
  static final int PATCHES = 16;
  static final int PATCH_DIM = 192;
  static final int TEXT_LEN = 12;
  static final int VOCAB = 64;
  static final int PROJ = 64;

  private final int hidden;
  private final int layers;
  /** Above zero: a single-tower image classifier with this many classes ({@code logits}). */
  private int classes;
  private final int weightType; // 1 fp32, 10 fp16 (prunable MatMul weights only)
  private final GraphProto.Builder g = GraphProto.newBuilder().setName("synthetic-clip");
  private final FileChannel data;
  private final String dataName;
  private final SplittableRandom rng = new SplittableRandom(42);
  private long offset;

  private SyntheticClipBuilder(int hidden, int layers, int weightType, FileChannel data, String dataName) {
    this.hidden = hidden;
    this.layers = layers;
    this.weightType = weightType;
    this.data = data;
    this.dataName = dataName;
  }

  /** Builds OUT_DIR/model.onnx (+ model.onnx.data) and OUT_DIR/calib/*.npy; returns the model path. */
  public static Path build(Path dir, int hidden, int layers, boolean fp16, int samples) throws IOException {
    Files.createDirectories(dir.resolve("calib"));
    Path model = dir.resolve("model.onnx");
    try (FileChannel ch = FileChannel.open(dir.resolve("model.onnx.data"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      SyntheticClipBuilder b = new SyntheticClipBuilder(hidden, layers, fp16 ? 10 : 1, ch, "model.onnx.data");
      ModelProto m = b.model();
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(model))) {
        m.writeTo(out);
      }
    }
    writeCalibration(dir.resolve("calib"), samples);
    return model;
  }

  /**
   * Builds a ViT-style single-tower classifier: the vision tower, mean pooling and a
   * classification head whose output is {@code logits [batch, classes]}; OUT_DIR/model.onnx and
   * OUT_DIR/calib/pixel_values.npy.
   */
  public static Path buildClassifier(Path dir, int hidden, int layers, int classes, int samples) throws IOException {
    Files.createDirectories(dir.resolve("calib"));
    Path model = dir.resolve("model.onnx");
    try (FileChannel ch = FileChannel.open(dir.resolve("model.onnx.data"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      SyntheticClipBuilder b = new SyntheticClipBuilder(hidden, layers, 1, ch, "model.onnx.data");
      b.classes = classes;
      ModelProto m = b.model();
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(model))) {
        m.writeTo(out);
      }
    }
    writeCalibration(dir.resolve("calib"), samples);
    Files.delete(dir.resolve("calib/input_ids.npy"));
    Files.delete(dir.resolve("calib/attention_mask.npy"));
    return model;
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int hidden = Integer.parseInt(args[1]);
    int layers = Integer.parseInt(args[2]);
    boolean fp16 = args.length > 3 && args[3].equals("fp16");
    int samples = args.length > 4 ? Integer.parseInt(args[4]) : 16;
    Path model = build(dir, hidden, layers, fp16, samples);
    System.out.println(model + " " + Files.size(dir.resolve("model.onnx.data")) + " bytes of weights");
  }

  private ModelProto model() throws IOException {
    if (classes > 0) {
      return classifier();
    }
    g.addInput(info("pixel_values", 1, "batch", 3, 32, 32));
    g.addInput(info("input_ids", 7, "batch", TEXT_LEN));
    g.addInput(info("attention_mask", 7, "batch", TEXT_LEN));
    String v = patchEmbedding();
    weight("text_model.embeddings.token_embedding.weight", VOCAB, hidden, 1);
    node("/text_model/embeddings/token_embedding/Gather", "Gather",
        List.of("text_model.embeddings.token_embedding.weight", "input_ids"), "t/tok");
    node("/text_model/embeddings/Cast", "Cast", List.of("attention_mask"), "t/maskf", attr("to", 1));
    node("/text_model/embeddings/Unsqueeze", "Unsqueeze", List.of("t/maskf", constant("axes/last", new long[] {-1})), "t/mask3");
    node("/text_model/embeddings/Mul", "Mul", List.of("t/tok", "t/mask3"), "t/x0");
    String t = "t/x0";
    if (weightType == 10) {
      node("/vision_model/embeddings/CastHalf", "Cast", List.of(v), "v/x0h", attr("to", 10));
      node("/text_model/embeddings/CastHalf", "Cast", List.of(t), "t/x0h", attr("to", 10));
      v = "v/x0h";
      t = "t/x0h";
    }
    for (int i = 0; i < layers; i++) {
      v = block("/vision_model/encoder/layers." + i, "vision_model.encoder.layers." + i, v);
    }
    for (int i = 0; i < layers; i++) {
      t = block("/text_model/encoder/layers." + i, "text_model.encoder.layers." + i, t);
    }
    String img = head("vision", v);
    String txt = head("text", t);
    node("/text_embeds/Identity", "Identity", List.of(txt), "text_embeds");
    node("/image_embeds/Identity", "Identity", List.of(img), "image_embeds");
    node("/logits/Transpose", "Transpose", List.of("text_embeds"), "logits/txtT", ints("perm", 1, 0));
    node("/logits/MatMul", "MatMul", List.of("image_embeds", "logits/txtT"), "logits/raw");
    g.addInitializer(TensorProto.newBuilder().setName("logit_scale").setDataType(1)
        .setRawData(floats(new float[] {20f})));
    node("/logits/Mul", "Mul", List.of("logits/raw", "logit_scale"), "logits_per_image");
    node("/logits/Transpose_1", "Transpose", List.of("logits_per_image"), "logits_per_text", ints("perm", 1, 0));
    for (String o : List.of("logits_per_image", "logits_per_text", "text_embeds", "image_embeds")) {
      g.addOutput(ValueInfoProto.newBuilder().setName(o));
    }
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("shears-synthetic")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
  }

  private ModelProto classifier() throws IOException {
    g.addInput(info("pixel_values", 1, "batch", 3, 32, 32));
    String v = patchEmbedding();
    for (int i = 0; i < layers; i++) {
      v = block("/vit/encoder/layer." + i, "vit.encoder.layer." + i, v);
    }
    node("/pool/ReduceMean", "ReduceMean", List.of(v), "pooled", ints("axes", 1), attr("keepdims", 0));
    weight("classifier.weight", hidden, classes, 1);
    node("/classifier/MatMul", "MatMul", List.of("pooled", "classifier.weight"), "logits");
    g.addOutput(ValueInfoProto.newBuilder().setName("logits"));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("shears-synthetic")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
  }

  private String patchEmbedding() throws IOException {
    constant("shape/patches6", new long[] {-1, 3, 4, 8, 4, 8});
    constant("shape/patches", new long[] {-1, PATCHES, PATCH_DIM});
    node("/vision_model/embeddings/Reshape", "Reshape", List.of("pixel_values", "shape/patches6"), "v/p6");
    node("/vision_model/embeddings/Transpose", "Transpose", List.of("v/p6"), "v/pt", ints("perm", 0, 2, 4, 1, 3, 5));
    node("/vision_model/embeddings/Reshape_1", "Reshape", List.of("v/pt", "shape/patches"), "v/patches");
    weight("vision_model.embeddings.patch_embedding.weight", PATCH_DIM, hidden, 1);
    node("/vision_model/embeddings/patch_embedding/MatMul", "MatMul",
        List.of("v/patches", "vision_model.embeddings.patch_embedding.weight"), "v/x0");
    return "v/x0";
  }

  private String block(String node, String param, String x) throws IOException {
    int wt = weightType;
    String h = layerNorm(node + "/layer_norm1", param + ".layer_norm1", x);
    String q = linear(node + "/self_attn/q_proj/MatMul", param + ".self_attn.q_proj.weight", h, hidden, hidden, wt);
    String k = linear(node + "/self_attn/k_proj/MatMul", param + ".self_attn.k_proj.weight", h, hidden, hidden, wt);
    String vv = linear(node + "/self_attn/v_proj/MatMul", param + ".self_attn.v_proj.weight", h, hidden, hidden, wt);
    node(node + "/self_attn/Transpose", "Transpose", List.of(k), node + "/kT", ints("perm", 0, 2, 1));
    node(node + "/self_attn/MatMul", "MatMul", List.of(q, node + "/kT"), node + "/scores");
    String scale = node + "/scale";
    g.addInitializer(scalar(scale, (float) (1 / Math.sqrt(hidden))));
    node(node + "/self_attn/Mul", "Mul", List.of(node + "/scores", scale), node + "/scaled");
    node(node + "/self_attn/Softmax", "Softmax", List.of(node + "/scaled"), node + "/probs", attr("axis", -1));
    node(node + "/self_attn/MatMul_1", "MatMul", List.of(node + "/probs", vv), node + "/attn");
    String o = linear(node + "/self_attn/out_proj/MatMul", param + ".self_attn.out_proj.weight", node + "/attn",
        hidden, hidden, wt);
    node(node + "/Add", "Add", List.of(x, o), node + "/res1");
    String h2 = layerNorm(node + "/layer_norm2", param + ".layer_norm2", node + "/res1");
    String f = linear(node + "/mlp/fc1/MatMul", param + ".mlp.fc1.weight", h2, hidden, 4 * hidden, wt);
    node(node + "/mlp/Relu", "Relu", List.of(f), node + "/act");
    String f2 = linear(node + "/mlp/fc2/MatMul", param + ".mlp.fc2.weight", node + "/act", 4 * hidden, hidden, wt);
    node(node + "/Add_1", "Add", List.of(node + "/res1", f2), node + "/out");
    return node + "/out";
  }

  private String head(String tower, String x) throws IOException {
    String in = x;
    if (weightType == 10) {
      node("/" + tower + "_pool/CastFloat", "Cast", List.of(x), tower + "/xf", attr("to", 1));
      in = tower + "/xf";
    }
    node("/" + tower + "_pool/ReduceMean", "ReduceMean", List.of(in), tower + "/pooled", ints("axes", 1),
        attr("keepdims", 0));
    String p = linear("/" + tower + "_projection/MatMul", tower + "_projection.weight", tower + "/pooled", hidden, PROJ, 1);
    node("/" + tower + "_norm/LpNormalization", "LpNormalization", List.of(p), tower + "/embeds",
        attr("axis", -1), attr("p", 2));
    return tower + "/embeds";
  }

  private String layerNorm(String node, String param, String x) {
    int n = hidden;
    float[] ones = new float[n];
    java.util.Arrays.fill(ones, 1f);
    g.addInitializer(small(param + ".weight", weightType, ones));
    g.addInitializer(small(param + ".bias", weightType, new float[n]));
    node(node + "/LayerNormalization", "LayerNormalization", List.of(x, param + ".weight", param + ".bias"),
        node + "/out", attr("axis", -1));
    return node + "/out";
  }

  private String linear(String node, String weight, String x, int in, int out, int type) throws IOException {
    weightTyped(weight, in, out, type);
    node(node, "MatMul", List.of(x, weight), node + "_output_0");
    return node + "_output_0";
  }

  private void weight(String name, int rows, int cols, int type) throws IOException {
    weightTyped(name, rows, cols, type);
  }

  /** Writes a random [rows, cols] tensor to the data file, 4096-aligned. */
  private void weightTyped(String name, int rows, int cols, int type) throws IOException {
    long n = (long) rows * cols;
    int width = type == 10 ? 2 : 4;
    long aligned = (offset + 4095) / 4096 * 4096;
    ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    long pos = aligned;
    double std = 1.0 / Math.sqrt(rows);
    for (long i = 0; i < n; i++) {
      float v = (float) (rng.nextGaussian() * std);
      if (type == 10) {
        buf.putShort(Float16.fromFloat(v));
      } else {
        buf.putFloat(v);
      }
      if (!buf.hasRemaining() || i == n - 1) {
        buf.flip();
        while (buf.hasRemaining()) {
          pos += data.write(buf, pos);
        }
        buf.clear();
      }
    }
    offset = pos;
    g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(type).addDims(rows).addDims(cols)
        .addExternalData(kv("location", dataName)).addExternalData(kv("offset", Long.toString(aligned)))
        .addExternalData(kv("length", Long.toString(n * width)))
        .setDataLocation(TensorProto.DataLocation.EXTERNAL));
  }

  private static TensorProto small(String name, int type, float[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type).addDims(values.length);
    if (type == 10) {
      ByteBuffer bb = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : values) {
        bb.putShort(Float16.fromFloat(v));
      }
      return b.setRawData(ByteString.copyFrom(bb.array())).build();
    }
    return b.setRawData(floats(values)).build();
  }

  private TensorProto scalar(String name, float v) {
    return weightType == 10 ? small(name, 10, new float[] {v}).toBuilder().clearDims().build()
        : TensorProto.newBuilder().setName(name).setDataType(1).setRawData(floats(new float[] {v})).build();
  }

  private String constant(String name, long[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(7).addDims(values.length);
    for (long v : values) {
      b.addInt64Data(v);
    }
    g.addInitializer(b);
    return name;
  }

  private static ByteString floats(float[] values) {
    ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(values);
    return ByteString.copyFrom(bb.array());
  }

  private void node(String name, String op, List<String> inputs, String output, AttributeProto... attrs) {
    NodeProto.Builder b = NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(inputs).addOutput(output);
    for (AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    g.addNode(b);
  }

  /** An integer attribute (shared with {@link PatternModels}). */
  static AttributeProto attr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  /** An integer-list attribute (shared with {@link PatternModels}). */
  static AttributeProto ints(String name, long... v) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      b.addInts(x);
    }
    return b.build();
  }

  private static StringStringEntryProto kv(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static ValueInfoProto info(String name, int type, Object... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      s.addDim(d instanceof String p ? TensorShapeProto.Dimension.newBuilder().setDimParam(p)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(((Integer) d).longValue()));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))).build();
  }

  /** pixel_values, input_ids and attention_mask for {@code samples} random image-text pairs. */
  static void writeCalibration(Path dir, int samples) throws IOException {
    SplittableRandom r = new SplittableRandom(7);
    float[] px = new float[samples * 3 * 32 * 32];
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    long[] ids = new long[samples * TEXT_LEN];
    long[] mask = new long[samples * TEXT_LEN];
    for (int s = 0; s < samples; s++) {
      int len = 3 + r.nextInt(TEXT_LEN - 3);
      for (int j = 0; j < TEXT_LEN; j++) {
        ids[s * TEXT_LEN + j] = j < len ? 1 + r.nextInt(VOCAB - 1) : 0;
        mask[s * TEXT_LEN + j] = j < len ? 1 : 0;
      }
    }
    Npy.write(dir.resolve("pixel_values.npy"), "<f4", new long[] {samples, 3, 32, 32}, px, null);
    Npy.write(dir.resolve("input_ids.npy"), "<i8", new long[] {samples, TEXT_LEN}, null, ids);
    Npy.write(dir.resolve("attention_mask.npy"), "<i8", new long[] {samples, TEXT_LEN}, null, mask);
  }

  /** Minimal .npy writer (version 1.0, C order). */
  static final class Npy {
    static void write(Path file, String descr, long[] shape, float[] f, long[] l) throws IOException {
      StringBuilder sh = new StringBuilder("(");
      for (long d : shape) {
        sh.append(d).append(", ");
      }
      sh.append(")");
      String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
      int total = 10 + header.length() + 1;
      int pad = (64 - total % 64) % 64;
      header = header + " ".repeat(pad) + "\n";
      int n = f != null ? f.length : l.length;
      ByteBuffer b = ByteBuffer.allocate(10 + header.length() + n * (f != null ? 4 : 8)).order(ByteOrder.LITTLE_ENDIAN);
      b.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
      b.putShort((short) header.length()).put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      if (f != null) {
        for (float v : f) {
          b.putFloat(v);
        }
      } else {
        for (long v : l) {
          b.putLong(v);
        }
      }
      Files.write(file, b.array());
    }
  }

  /** IEEE half precision, round to nearest even. */
  static final class Float16 {
    static short fromFloat(float f) {
      int bits = Float.floatToRawIntBits(f);
      int sign = (bits >>> 16) & 0x8000;
      int abs = bits & 0x7fffffff;
      if (abs >= 0x477ff000) {
        return (short) (sign | 0x7c00);
      }
      if (abs < 0x38800000) {
        return (short) (sign | Math.round(Float.intBitsToFloat(abs) / 0x1p-24f));
      }
      int e = (abs >>> 23) - 112;
      int m = abs & 0x7fffff;
      int h = (e << 10) | (m >>> 13);
      int rem = m & 0x1fff;
      if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
        h++;
      }
      return (short) (sign | h);
    }
  }

  static List<String> names() {
    return new ArrayList<>();
  }
}
