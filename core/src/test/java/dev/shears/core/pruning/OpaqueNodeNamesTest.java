package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Node names carry no meaning for Shears: with every node renamed to {@code n0}, {@code n1},
 * … the pruned model is byte-identical (once the names are put back) to the one pruned with
 * the exporter's names, in one-shot and sequential mode, for Wanda and SparseGPT (on MiniLM,
 * SparseGPT in the name-sensitive sequential mode only: it costs most there). This pins
 * that blocks are found from structure and that sequential statistics never depend on which
 * block a node's name says it is in.
 */
class OpaqueNodeNamesTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} {1} {2} {3}")
  @CsvSource({
      "tinyclip, one-shot, wanda, uniform",
      "tinyclip, sequential, wanda, ecoflap",
      "tinyclip, one-shot, sparsegpt, uniform",
      "tinyclip, sequential, sparsegpt, uniform",
      "minilm, one-shot, wanda, uniform",
      "minilm, sequential, wanda, uniform",
      "minilm, sequential, sparsegpt, uniform"})
  void opaqueNamesPruneIdentically(String model, String mode, String scorer, String allocator) throws Exception {
    Path original = model.equals("tinyclip") ? TestModels.tinyClip() : TestModels.miniLm();
    Path renamed = tmp.resolve("opaque.onnx");
    List<String> names = new ArrayList<>();
    try (ModelFile m = ModelFile.read(original)) {
      ModelProto.Builder b = m.proto().toBuilder();
      GraphProto.Builder g = b.getGraphBuilder();
      for (int i = 0; i < g.getNodeCount(); i++) {
        names.add(g.getNode(i).getName());
        g.getNodeBuilder(i).setName("n" + i);
      }
      try (OutputStream out = Files.newOutputStream(renamed)) {
        b.build().writeTo(out);
      }
    }
    PruneOptions options = new PruneOptions(0.6, SparsityPattern.unstructured(), scorer, allocator, null,
        Map.of(), mode.equals("one-shot") ? Mode.ONE_SHOT : Mode.SEQUENTIAL, 3);
    CalibrationConfig calib = model.equals("tinyclip")
        ? new CalibrationConfig(BundledModels.tinyClip().resolve("calib"), null, CalibrationSources.Format.NPY,
            32, 16, "cpu")
        : new CalibrationConfig(TestModels.miniLmCalib(tmp), original.getParent(), CalibrationSources.Format.CAPTIONS, 24, 8,
            "cpu");
    byte[] expected = prune(original, options, calib, null);
    byte[] actual = prune(renamed, options, calib, names);
    assertEquals(expected.length, actual.length);
    assertArrayEquals(expected, actual, "pruned model with opaque node names differs");
  }

  /** The pruned model's bytes, with the original node names put back when given. */
  private static byte[] prune(Path input, PruneOptions options, CalibrationConfig calib, List<String> names) {
    try (ModelFile model = ModelFile.read(input)) {
      Inventory inv = Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      try (PruningPipeline.Result result = new PruningPipeline(
          StrategyRegistry.load(OpaqueNodeNamesTest.class.getClassLoader()), Progress.NONE)
          .run(model, inv, options, () -> calib.open(model, Progress.NONE))) {
        ModelProto.Builder b = result.toModel(model).toBuilder();
        if (names != null) {
          GraphProto.Builder g = b.getGraphBuilder();
          for (int i = 0; i < g.getNodeCount(); i++) {
            g.getNodeBuilder(i).setName(names.get(i));
          }
        }
        return b.build().toByteArray();
      }
    }
  }
}
