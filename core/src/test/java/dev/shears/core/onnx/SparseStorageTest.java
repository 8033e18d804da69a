package dev.shears.core.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.source.ModelInputEncoder;
import dev.shears.core.evaluation.ModelRunner;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.proto.Onnx.SparseTensorProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tinyclip-shapes at 50% magnitude, written dense and sparse. */
class SparseStorageTest {
  static final Path TINY = BundledModels.tinyClip();
  @TempDir static Path tmp;
  static Path dense;
  static Path sparse;

  @BeforeAll
  static void prune() {
    PruneOptions o = new PruneOptions(0.5, SparsityPattern.parse("unstructured"), "magnitude", "uniform", null,
        Map.of(), Mode.SEQUENTIAL, 0);
    StrategyRegistry reg = StrategyRegistry.load(SparseStorageTest.class.getClassLoader());
    dense = tmp.resolve("dense.onnx");
    sparse = tmp.resolve("sparse.onnx");
    new PruneJob(TINY.resolve("model.onnx"), dense, null, SelectionRules.DEFAULT, o, ExternalDataPolicy.AUTO,
        TensorStorage.DENSE).run(reg, Progress.NONE, m -> { throw new AssertionError("no engine"); });
    new PruneJob(TINY.resolve("model.onnx"), sparse, null, SelectionRules.DEFAULT, o, ExternalDataPolicy.AUTO,
        TensorStorage.SPARSE).run(reg, Progress.NONE, m -> { throw new AssertionError("no engine"); });
  }

  @Test
  void prunedTensorsBecomeSparseInitializers() throws Exception {
    try (ModelFile d = ModelFile.read(dense); ModelFile s = ModelFile.read(sparse)) {
      assertEquals(48, s.proto().getGraph().getSparseInitializerCount());
      assertEquals(d.proto().getGraph().getInitializerCount() - 48, s.proto().getGraph().getInitializerCount());
      for (SparseTensorProto t : s.proto().getGraph().getSparseInitializerList()) {
        long count = t.getDimsList().stream().reduce(1L, (a, b) -> a * b);
        assertEquals(DataType.INT64.code(), t.getIndices().getDataType());
        assertEquals(1, t.getIndices().getDimsCount());
        assertEquals(count / 2, t.getValues().getDims(0), t.getValues().getName() + " keeps half");
      }
    }
    // int64 indices cost 8 bytes per kept weight: at 50% the sparse file is larger, not smaller.
    System.out.printf("dense-zero %d bytes, sparse %d bytes (%.1f%%)%n", Files.size(dense), Files.size(sparse),
        100.0 * (Files.size(sparse) - Files.size(dense)) / Files.size(dense));
  }

  @Test
  void densifyRestoresTheExactBytes() throws Exception {
    Path back = tmp.resolve("back.onnx");
    try (ModelFile s = ModelFile.read(sparse)) {
      ModelWriter.write(SparseStorage.densify(s.proto(), sparse.toString()), s, back, ExternalDataPolicy.AUTO);
    }
    assertArrayEquals(Files.readAllBytes(dense), Files.readAllBytes(back));
  }

  @Test
  void bothLoadInOnnxRuntimeWithIdenticalOutputs() throws Exception {
    List<Path> images = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      images.add(TINY.resolve(String.format("eval/%05d.png", i)));
    }
    try (ModelRunner d = ModelRunner.open(dense, Device.CPU); ModelRunner s = ModelRunner.open(sparse, Device.CPU);
        ModelInputEncoder enc = ModelInputEncoder.open(TINY, d.inputs())) {
      Map<String, HostTensor> feed = new LinkedHashMap<>();
      feed.put(enc.imageInput(), enc.images(images));
      feed.putAll(enc.texts(List.of("a small red circle on the left", "a large blue ring at the top")));
      Map<String, ModelRunner.Output> a = d.run(feed);
      Map<String, ModelRunner.Output> b = s.run(feed);
      assertEquals(a.keySet(), b.keySet());
      for (String k : a.keySet()) {
        assertArrayEquals(a.get(k).values(), b.get(k).values(), k);
      }
    }
  }

  @Test
  void negativeZeroIsKeptAsAValue() throws Exception {
    var t = dev.shears.core.onnx.proto.Onnx.TensorProto.newBuilder().setName("w").setDataType(1).addDims(2).addDims(2)
        .setRawData(TensorValues.encode(DataType.FLOAT, new float[] {0f, -0f, 1.5f, 0f})).build();
    var model = dev.shears.core.onnx.proto.Onnx.ModelProto.newBuilder()
        .setGraph(dev.shears.core.onnx.proto.Onnx.GraphProto.newBuilder().addInitializer(t)).build();
    try (ModelFile src = ModelFile.read(dense)) {
      var s = SparseStorage.toSparse(model, src, List.of("w"));
      assertEquals(2, s.getGraph().getSparseInitializer(0).getValues().getDims(0));
      assertEquals(model, SparseStorage.densify(s, "x"));
    }
  }
}
