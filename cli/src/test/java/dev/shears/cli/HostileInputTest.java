package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files from strangers: broken models and broken calibration data. Each is refused with one line
 * on stderr that names the file and the problem, exit 1, and nothing is left in the output folder.
 */
class HostileInputTest {
  static final Path TINY = BundledModels.tinyClip();
  static ModelProto original;
  /** The first fp32 MatMul weight stored as raw_data, the tensor the tests break. */
  static String weight;

  @TempDir Path tmp;
  Path in;
  Path outDir;

  @BeforeAll
  static void load() throws IOException {
    original = ModelProto.parseFrom(Files.readAllBytes(TINY.resolve("model.onnx")));
    GraphProto g = original.getGraph();
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("MatMul")) {
        for (String i : n.getInputList()) {
          int k = index(g, i);
          if (k >= 0 && g.getInitializer(k).hasRawData() && g.getInitializer(k).getDimsCount() == 2) {
            weight = i;
            return;
          }
        }
      }
    }
    throw new AssertionError("no MatMul weight in tinyclip");
  }

  @BeforeEach
  void folders() throws IOException {
    in = Files.createDirectories(tmp.resolve("in"));
    outDir = Files.createDirectories(tmp.resolve("out"));
  }

  static int index(GraphProto g, String name) {
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** Tinyclip with the test weight replaced. */
  static ModelProto withWeight(UnaryOperator<TensorProto> change) {
    ModelProto.Builder b = original.toBuilder();
    int k = index(original.getGraph(), weight);
    b.getGraphBuilder().setInitializer(k, change.apply(original.getGraph().getInitializer(k)));
    return b.build();
  }

  Path save(ModelProto m) throws IOException {
    Path f = in.resolve("model.onnx");
    Files.write(f, m.toByteArray());
    return f;
  }

  /** Runs prune into {@code out/}, expecting a one-line failure naming {@code file} and {@code problem}. */
  CliRun assertRefused(int code, Path file, String problem, String... args) throws IOException {
    Path out = outDir.resolve("pruned.onnx");
    String[] full = Stream.concat(Stream.of("prune"), Stream.concat(Arrays.stream(args),
        Stream.of("-o", out.toString(), "--quiet"))).toArray(String[]::new);
    CliRun r = CliRun.of(full);
    assertEquals(code, r.exitCode(), r.err());
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), "exactly one line on stderr:\n" + r.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("shears: error: "), line);
    if (file != null) {
      assertTrue(line.contains(file.getFileName().toString()), "'" + line + "' should name " + file);
    }
    assertTrue(line.contains(problem), "'" + line + "' should contain '" + problem + "'");
    assertFalse(r.err().contains("\tat "), r.err());
    try (Stream<Path> s = Files.list(outDir)) {
      assertEquals(List.of(), s.toList(), "nothing left in the output folder");
    }
    return r;
  }

  // --- protobuf -------------------------------------------------------------------------

  @Test
  void truncatedProtobuf() throws IOException {
    byte[] full = original.toByteArray();
    for (int cut : new int[] {1, 7, full.length / 3, full.length - 1}) {
      Path f = in.resolve("cut.onnx");
      Files.write(f, Arrays.copyOf(full, cut));
      CliRun r = CliRun.of("prune", f.toString(), "--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "-o",
          outDir.resolve("pruned.onnx").toString(), "--quiet");
      assertEquals(1, r.exitCode(), cut + ": " + r.err());
      assertTrue(r.errorLine().startsWith("shears: error: " + f), cut + ": " + r.err());
      assertFalse(Files.exists(outDir.resolve("pruned.onnx")));
    }
    Files.write(in.resolve("cut.onnx"), Arrays.copyOf(full, full.length / 2));
    assertRefused(1, in.resolve("cut.onnx"), "is truncated", in.resolve("cut.onnx").toString(), "--sparsity", "0.5");
  }

  @Test
  void corruptedProtobuf() throws IOException {
    byte[] bytes = original.toByteArray();
    Arrays.fill(bytes, 0, 16, (byte) 0xff);
    Path f = in.resolve("model.onnx");
    Files.write(f, bytes);
    assertRefused(1, f, "is not an ONNX model", f.toString(), "--sparsity", "0.5");
  }

  // --- tensor shapes and sizes -------------------------------------------------------------

  @Test
  void dimsDisagreeWithRawData() throws IOException {
    Path f = save(withWeight(t -> t.toBuilder().setDims(0, t.getDims(0) + 1).build()));
    assertRefused(1, f, "bytes of data but its shape and type need", f.toString(), "--sparsity", "0.5");
  }

  @Test
  void dimsDisagreeWithTypedData() throws IOException {
    Path f = save(withWeight(t -> t.toBuilder().clearRawData().addFloatData(1f).addFloatData(2f).build()));
    assertRefused(1, f, "holds 2 values but its shape needs", f.toString(), "--sparsity", "0.5");
  }

  @Test
  void hugeDims() throws IOException {
    Path f = save(withWeight(t -> t.toBuilder().setDims(0, 1L << 40).build()));
    assertRefused(1, f, "bytes of data but its shape and type need", f.toString(), "--sparsity", "0.5");
    save(withWeight(t -> t.toBuilder().setDims(0, 1L << 40).setDims(1, 1L << 40).build()));
    assertRefused(1, f, "declares more elements than can exist", f.toString(), "--sparsity", "0.5");
    save(withWeight(t -> t.toBuilder().setDims(0, -3).build()));
    assertRefused(1, f, "negative dimension", f.toString(), "--sparsity", "0.5");
  }

  @Test
  void hugeShapeWithoutDataIsNotAllocated() throws IOException {
    // An initializer whose typed data claims a long shape but holds nothing.
    Path f = save(withWeight(t -> t.toBuilder().clearRawData().setDims(0, Integer.MAX_VALUE).build()));
    assertRefused(1, f, "holds 0 values but its shape needs", f.toString(), "--sparsity", "0.5");
  }

  // --- external data -------------------------------------------------------------------------

  /** Tinyclip with the test weight moved to external data at {@code location}. */
  Path external(String location, boolean writeData) throws IOException {
    TensorProto t = original.getGraph().getInitializer(index(original.getGraph(), weight));
    if (writeData) {
      Files.write(in.resolve("weights.bin"), t.getRawData().toByteArray());
    }
    return save(withWeight(w -> w.toBuilder().clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", location))
        .addExternalData(entry("offset", "0"))
        .addExternalData(entry("length", Long.toString(t.getRawData().size())))
        .build()));
  }

  static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  @Test
  void externalDataInsideTheFolderWorks() throws IOException {
    Path f = external("weights.bin", true);
    CliRun r = CliRun.of("prune", f.toString(), "--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "-o",
        outDir.resolve("pruned.onnx").toString(), "--quiet");
    assertEquals(0, r.exitCode(), r.err());
  }

  @Test
  void externalDataEscapingTheFolderIsRefused() throws IOException {
    external("weights.bin", true);
    Files.copy(in.resolve("weights.bin"), tmp.resolve("x"));
    Path f = external("../x", false);
    assertRefused(1, f, "points outside the model's folder; refused", f.toString(), "--sparsity", "0.5");
    f = external("/etc/passwd", false);
    assertRefused(1, f, "points outside the model's folder; refused", f.toString(), "--sparsity", "0.5");
    f = external("sub/../../x", false);
    assertRefused(1, f, "points outside the model's folder; refused", f.toString(), "--sparsity", "0.5");
    Files.createSymbolicLink(in.resolve("link.bin"), tmp.resolve("x"));
    f = external("link.bin", false);
    assertRefused(1, f, "is a link that leads outside the model's folder; refused", f.toString(),
        "--sparsity", "0.5");
  }

  @Test
  void externalDataRefusedEvenForTensorsThatAreNotPruned() throws IOException {
    // Excluding the tensor from pruning must not make Shears copy a file from outside.
    external("weights.bin", true);
    Files.copy(in.resolve("weights.bin"), tmp.resolve("x"));
    Path f = external("../x", false);
    assertRefused(1, f, "points outside the model's folder; refused", f.toString(), "--sparsity", "0.5",
        "--allocator", "uniform", "--scorer", "magnitude", "--external-data", "never");
  }

  @Test
  void missingExternalData() throws IOException {
    Path f = external("gone.bin", false);
    assertRefused(1, f, "external data file 'gone.bin' of tensor '" + weight + "' does not exist",
        f.toString(), "--sparsity", "0.5");
  }

  @Test
  void shortExternalData() throws IOException {
    Path f = external("weights.bin", true);
    try (RandomAccessFile raf = new RandomAccessFile(in.resolve("weights.bin").toFile(), "rw")) {
      raf.setLength(raf.length() - 4);
    }
    assertRefused(1, f, "which has only", f.toString(), "--sparsity", "0.5");
  }

  // --- types and graph structure -------------------------------------------------------------

  @Test
  void unsupportedDtypeIsSkippedNotACrash() throws IOException {
    Path f = save(withWeight(t -> {
      TensorProto.Builder b = t.toBuilder().clearRawData().setDataType(TensorProto.DataType.STRING_VALUE);
      long n = t.getDims(0) * t.getDims(1);
      for (long i = 0; i < n; i++) {
        b.addStringData(ByteString.copyFromUtf8("x"));
      }
      return b.build();
    }));
    Path out = outDir.resolve("pruned.onnx");
    CliRun r = CliRun.of("inspect", f.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains(weight) && r.out().contains("string"), r.out());
    r = CliRun.of("prune", f.toString(), "--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "-o", out.toString(), "--quiet");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(Files.exists(out));
  }

  @Test
  void unknownDtypeCodeIsSkippedNotACrash() throws IOException {
    Path f = save(withWeight(t -> t.toBuilder().setDataType(77).build()));
    CliRun r = CliRun.of("prune", f.toString(), "--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "-o",
        outDir.resolve("pruned.onnx").toString(), "--quiet");
    assertEquals(0, r.exitCode(), r.err());
  }

  @Test
  void danglingName() throws IOException {
    ModelProto.Builder b = original.toBuilder();
    NodeProto n = b.getGraph().getNode(3);
    b.getGraphBuilder().setNode(3, n.toBuilder().setInput(0, "never_defined_anywhere"));
    Path f = save(b.build());
    assertRefused(1, f, "reads 'never_defined_anywhere', which is never defined", f.toString(), "--sparsity", "0.5");
  }

  @Test
  void cycle() throws IOException {
    ModelProto.Builder b = original.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    g.addNode(NodeProto.newBuilder().setName("a").setOpType("Relu").addInput("cyc_b").addOutput("cyc_a"));
    g.addNode(NodeProto.newBuilder().setName("b").setOpType("Relu").addInput("cyc_a").addOutput("cyc_b"));
    Path f = save(b.build());
    assertRefused(1, f, "has a cycle", f.toString(), "--sparsity", "0.5");
  }

  @Test
  void noGraph() throws IOException {
    Path f = save(original.toBuilder().clearGraph().build());
    assertRefused(1, f, "no graph", f.toString(), "--sparsity", "0.5");
  }

  // --- calibration data ----------------------------------------------------------------------

  /** A copy of tinyclip's captions and images (no .npy), to break. */
  Path captionsCopy() throws IOException {
    Path calib = Files.createDirectories(tmp.resolve("calib"));
    try (Stream<Path> s = Files.list(TINY.resolve("calib"))) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        if (name.endsWith(".png") || name.equals("captions.jsonl")) {
          Files.copy(p, calib.resolve(name));
        }
      }
    }
    return calib;
  }

  /** A copy of tinyclip's .npy tensors, to break. */
  Path npyCopy() throws IOException {
    Path calib = Files.createDirectories(tmp.resolve("calib"));
    try (Stream<Path> s = Files.list(TINY.resolve("calib"))) {
      for (Path p : s.toList()) {
        if (p.getFileName().toString().endsWith(".npy")) {
          Files.copy(p, calib.resolve(p.getFileName()));
        }
      }
    }
    return calib;
  }

  String[] wanda(Path calib) {
    return new String[] {TINY.resolve("model.onnx").toString(), "--sparsity", "0.5", "--scorer", "wanda",
        "--calib", calib.toString(), "--calib-samples", "4", "--batch-size", "4"};
  }

  @Test
  void corruptImage() throws IOException {
    Path calib = captionsCopy();
    Path png = calib.resolve("00001.png");
    byte[] b = Files.readAllBytes(png);
    Files.write(png, Arrays.copyOf(b, 60)); // PNG signature and header, then nothing
    assertRefused(1, png, "captions.jsonl:2: cannot decode image", wanda(calib));
    Files.writeString(png, "not a png at all");
    assertRefused(1, png, "captions.jsonl:2: ", wanda(calib));
  }

  @Test
  void imageWithHugeDeclaredSizeIsRefusedBeforeDecoding() throws IOException {
    Path calib = captionsCopy();
    Path png = calib.resolve("00000.png");
    byte[] b = Files.readAllBytes(png);
    // IHDR width and height (big-endian at offsets 16 and 20), with a matching CRC, so that a
    // decoder believes them: 40000 x 40000 pixels would need gigabytes.
    byte[] huge = {0x00, 0x00, (byte) 0x9c, 0x40}; // 40000
    System.arraycopy(huge, 0, b, 16, 4);
    System.arraycopy(huge, 0, b, 20, 4);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(b, 12, 17);
    long c = crc.getValue();
    b[29] = (byte) (c >>> 24);
    b[30] = (byte) (c >>> 16);
    b[31] = (byte) (c >>> 8);
    b[32] = (byte) c;
    Files.write(png, b);
    assertRefused(1, png, "captions.jsonl:1: image " + png + " is 40000 x 40000 pixels", wanda(calib));
  }

  @Test
  void invalidUtf8InCaptions() throws IOException {
    Path calib = captionsCopy();
    Path captions = calib.resolve("captions.jsonl");
    List<String> lines = Files.readAllLines(captions);
    byte[] bad = "{\"image\": \"00002.png\", \"text\": \"a \u00ff\u00fe circle\"}\n".getBytes(StandardCharsets.ISO_8859_1);
    try (var os = Files.newOutputStream(captions)) {
      os.write((lines.get(0) + "\n" + lines.get(1) + "\n").getBytes(StandardCharsets.UTF_8));
      os.write(bad);
    }
    assertRefused(1, captions, "captions.jsonl:3: invalid UTF-8", wanda(calib));
  }

  @Test
  void emptyCalibrationFolder() throws IOException {
    Path calib = Files.createDirectories(tmp.resolve("empty"));
    assertRefused(1, calib, "folder is empty", wanda(calib));
  }

  @Test
  void emptyCaptionsFile() throws IOException {
    Path calib = captionsCopy();
    Files.writeString(calib.resolve("captions.jsonl"), "\n\n");
    assertRefused(1, calib.resolve("captions.jsonl"), "no caption lines", wanda(calib));
  }

  @Test
  void npyWithBadMagic() throws IOException {
    Path calib = npyCopy();
    Path f = calib.resolve("pixel_values.npy");
    byte[] b = Files.readAllBytes(f);
    b[1] = 'X';
    Files.write(f, b);
    assertRefused(1, f, "not a .npy file (bad magic)", wanda(calib));
  }

  @Test
  void npyWithBadHeaders() throws IOException {
    Path calib = npyCopy();
    Path f = calib.resolve("input_ids.npy");
    byte[] orig = Files.readAllBytes(f);
    int len = (orig[8] & 0xff) | (orig[9] & 0xff) << 8;
    String header = new String(orig, 10, len, StandardCharsets.ISO_8859_1);
    String[][] cases = {
      {header.replaceFirst("'shape': \\([^)]*\\)", "'shape': (99999999999, 77)"), "truncated"},
      {header.replaceFirst("'shape': \\([^)]*\\)", "'shape': (4611686018427387904, 4)"), "is too large"},
      {header.replaceFirst("'shape': \\([^)]*\\)", "'shape': (x, 2)"), "bad shape"},
      {header.replaceFirst("'descr': '[^']*'", "'descr': '>i8'"), "big-endian"},
      {header.replace("{", "["), "header is not a Python dict"},
    };
    for (String[] c : cases) {
      byte[] h = c[0].getBytes(StandardCharsets.ISO_8859_1);
      byte[] b = orig.clone();
      System.arraycopy(h, 0, b, 10, Math.min(h.length, len));
      Files.write(f, b);
      assertRefused(1, f, c[1], wanda(calib));
    }
    byte[] b = orig.clone();
    b[8] = (byte) 0xff;
    b[9] = (byte) 0xff; // header length past the end of a short file
    Files.write(f, Arrays.copyOf(b, 200));
    assertRefused(1, f, "does not fit in the file", wanda(calib));
    Files.write(f, Arrays.copyOf(orig, 8));
    assertRefused(1, f, "too short for a .npy header", wanda(calib));
  }

  @Test
  void leftoverTempFilesOfTheSameOutputAreRemoved() throws IOException {
    Path stale = outDir.resolve(".pruned.onnx.12345" + ModelWriter.TEMP_SUFFIX);
    Path other = outDir.resolve(".other.onnx.12345" + ModelWriter.TEMP_SUFFIX);
    Files.writeString(stale, "half a model");
    Files.writeString(other, "someone else's");
    CliRun r = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "-o",
        outDir.resolve("pruned.onnx").toString(), "--quiet");
    assertEquals(0, r.exitCode(), r.err());
    assertFalse(Files.exists(stale), "stale temp file of the same output removed");
    assertTrue(Files.exists(other), "temp files of other outputs are left alone");
  }
}
