package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.testdata.BundledModels;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BLIP-style model folder as Hugging Face writes it: a {@code BlipImageProcessor}
 * preprocessor config ({@code size: {height, width}}, no {@code crop_size}), an image-text
 * matching output {@code itm_logits}, and an evaluation folder without classes whose lines carry
 * their own hard negative ({@code negative_text}). The model is built so that its match
 * decision is known: a caption containing "blue" never matches, any other always does, so ITM
 * accuracy is 1.0 when the dataset's negatives are used and 0.5 when other captions of the set
 * stand in.
 */
class BlipFolderTest {
  private static final String PREPROCESSOR = """
      {"do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
       "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "BlipImageProcessor",
       "image_std": [0.26862954, 0.26130258, 0.27577711], "processor_class": "BlipProcessor",
       "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"height": 32, "width": 32}}
      """;
  private static final String[] CAPTIONS = {
      "a small red circle on the left", "a large green square at the top", "a small white ring in the center",
      "a large purple cross at the bottom", "a small yellow diamond on the right", "a large red triangle on the left",
      "a small green cross at the top", "a large white circle in the center"};

  @TempDir Path tmp;

  @Test
  void blipFolderCalibratesFromImagesAndEvaluatesAsShipped() throws Exception {
    Path model = buildFolder();
    Path pruned = tmp.resolve("pruned.onnx");
    Cli p = Cli.run("prune", model.toString(), "-o", pruned.toString(), "--sparsity", "0.5",
        "--calib", tmp.resolve("model/calib").toString(), "--quiet");
    assertEquals(0, p.code(), p.err());
    Cli e = Cli.run("eval", model.toString(), "--data", tmp.resolve("model/eval").toString(), "--json");
    assertEquals(0, e.code(), e.err());
    JsonNode r = new ObjectMapper().readTree(e.out());
    assertEquals(1.0, r.get("itmAccuracy").asDouble(), 1e-9, "the dataset's negative_text are the negatives");
    Cli ep = Cli.run("eval", pruned.toString(), "--data", tmp.resolve("model/eval").toString(),
        "--model-dir", tmp.resolve("model").toString(), "--json");
    assertEquals(0, ep.code(), ep.err());
    assertEquals(1.0, new ObjectMapper().readTree(ep.out()).get("itmAccuracy").asDouble(), 1e-9);
  }

  /** The model folder: model.onnx, tokenizer, BLIP preprocessor config, calib/ and eval/. */
  private Path buildFolder() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("model"));
    Path tiny = BundledModels.tinyClip();
    Files.copy(tiny.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("preprocessor_config.json"), PREPROCESSOR);
    JsonNode vocab = new ObjectMapper().readTree(tiny.resolve("tokenizer.json").toFile()).get("model").get("vocab");
    int size = vocab.size();
    int blue = vocab.get("blue").asInt();
    for (String sub : List.of("calib", "eval")) {
      Path d = Files.createDirectories(dir.resolve(sub));
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < CAPTIONS.length; i++) {
        String image = String.format("%05d.png", i);
        Files.copy(tiny.resolve("calib").resolve(image), d.resolve(image));
        String negative = CAPTIONS[i].replaceFirst(" (red|green|white|purple|yellow) ", " blue ");
        lines.append(sub.equals("calib")
            ? "{\"image\": \"" + image + "\", \"text\": \"" + CAPTIONS[i] + "\"}\n"
            : "{\"image\": \"" + image + "\", \"text\": \"" + CAPTIONS[i] + "\", \"negative_text\": \""
                + negative + "\"}\n");
      }
      Files.writeString(d.resolve(sub.equals("calib") ? "captions.jsonl" : "labels.jsonl"), lines,
          StandardCharsets.UTF_8);
    }
    Path file = dir.resolve("model.onnx");
    try (OutputStream out = Files.newOutputStream(file)) {
      itmModel(size, blue).writeTo(out);
    }
    return file;
  }

  /**
   * itm_logits = [0, mean_t E[ids_t]] through one residual sub-layer, plus 0 × the mean pixel:
   * E is +1 for every token but "blue" (-100).
   */
  private static ModelProto itmModel(int vocab, int blue) {
    int h = 8;
    GraphProto.Builder g = GraphProto.newBuilder().setName("blip-itm");
    g.addInput(input("pixel_values", 1, 3, 32, 32));
    g.addInput(input("input_ids", 7, -1));
    g.addInput(input("attention_mask", 7, -1));
    float[] e = new float[vocab * h];
    for (int t = 0; t < vocab; t++) {
      e[t * h] = t == blue ? -100f : 1f;
    }
    g.addInitializer(floats("embeddings", e, vocab, h));
    float[] w1 = new float[h * h];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < w1.length; i++) {
      w1[i] = (float) (r.nextGaussian() * 0.001);
    }
    g.addInitializer(floats("W1", w1, h, h));
    float[] itm = new float[h * 2];
    itm[1] = 1f; // column 1 (match) reads feature 0
    g.addInitializer(floats("Witm", itm, h, 2));
    g.addInitializer(floats("zero", new float[] {0f}));
    g.addNode(node("Gather", List.of("embeddings", "input_ids"), "tok"));
    g.addNode(node("ReduceMean", List.of("tok"), "text", ints("axes", 1), attr("keepdims", 0)));
    g.addNode(node("Identity", List.of("text"), "h"));
    g.addNode(node("MatMul", List.of("h", "W1"), "f"));
    g.addNode(node("Add", List.of("h", "f"), "res"));
    g.addNode(node("MatMul", List.of("res", "Witm"), "s"));
    g.addNode(node("ReduceMean", List.of("pixel_values"), "pix", ints("axes", 1, 2, 3), attr("keepdims", 0)));
    g.addNode(node("Unsqueeze", List.of("pix"), "pix1", ints("axes", 1)));
    g.addNode(node("Mul", List.of("pix1", "zero"), "pix0"));
    g.addNode(node("Add", List.of("s", "pix0"), "itm_logits"));
    g.addOutput(ValueInfoProto.newBuilder().setName("itm_logits"));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("shears-test-blip")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(12)).setGraph(g).build();
  }

  private static ValueInfoProto input(String name, int type, int... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
    for (int d : dims) {
      shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("sequence")
          : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
  }

  private static TensorProto floats(String name, float[] v, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1)
        .setRawData(ByteString.copyFrom(b.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static NodeProto node(String op, List<String> in, String out, AttributeProto... attrs) {
    NodeProto.Builder n = NodeProto.newBuilder().setName(out + "/" + op).setOpType(op).addAllInput(in).addOutput(out);
    for (AttributeProto a : attrs) {
      n.addAttribute(a);
    }
    return n.build();
  }

  private static AttributeProto attr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  private static AttributeProto ints(String name, long... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) {
      a.addInts(x);
    }
    return a.build();
  }
}
