package dev.shears.core.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.shears.api.SparsityPattern;
import dev.shears.core.TestModels;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.strategy.StrategyRegistry;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External data as exporters write it for large models: one file per tensor, in a subfolder
 * of the model's folder. Read, pruned, written and loaded by ONNX Runtime, with the same
 * pruned values as the same model with its weights inline.
 */
class ExternalLayoutsTest {
  @TempDir Path tmp;

  @Test
  void oneFilePerTensorInASubfolder() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("model"));
    Path external = dir.resolve("model.onnx");
    int files = 0;
    try (ModelFile m = ModelFile.read(TestModels.tinyClip())) {
      ModelProto.Builder b = m.proto().toBuilder();
      GraphProto.Builder g = b.getGraphBuilder();
      Files.createDirectories(dir.resolve("weights"));
      for (int i = 0; i < g.getInitializerCount(); i++) {
        TensorProto t = g.getInitializer(i);
        if (t.getRawData().size() < 1024) {
          continue;
        }
        String location = "weights/tensor" + i + ".bin";
        Files.write(dir.resolve(location), t.getRawData().toByteArray());
        g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", location))
            .addExternalData(entry("offset", "0"))
            .addExternalData(entry("length", Long.toString(t.getRawData().size()))));
        files++;
      }
      try (OutputStream out = Files.newOutputStream(external)) {
        b.build().writeTo(out);
      }
    }
    assertEquals(true, files > 48, "every weight in a file of its own");
    Path a = prune(TestModels.tinyClip(), tmp.resolve("inline-pruned.onnx"));
    Path b = prune(external, tmp.resolve("external-pruned.onnx"));
    try (ModelFile x = ModelFile.read(a); ModelFile y = ModelFile.read(b)) {
      Inventory inv = Inventory.of(x.proto().getGraph(), SelectionRules.DEFAULT);
      assertEquals(48, inv.prunable().size());
      for (PrunableTensor t : inv.prunable()) {
        assertArrayEquals(x.readFloats(x.proto().getGraph().getInitializer(t.initializer())),
            y.readFloats(y.proto().getGraph().getInitializer(t.initializer())), t.name());
      }
    }
    OrtEnvironment.getEnvironment().createSession(b.toString(), new OrtSession.SessionOptions()).close();
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private Path prune(Path input, Path out) {
    new PruneJob(input, out, null, SelectionRules.DEFAULT, new PruneOptions(0.5, SparsityPattern.unstructured(),
        "magnitude", "uniform", null, Map.of(), Mode.ONE_SHOT, 0), ExternalDataPolicy.AUTO)
        .run(StrategyRegistry.load(getClass().getClassLoader()), Progress.NONE, m -> {
          throw new AssertionError("magnitude needs no data");
        });
    return out;
  }
}
