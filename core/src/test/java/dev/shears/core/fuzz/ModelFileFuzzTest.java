package dev.shears.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.shears.core.ShearsException;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.onnx.SparseStorage;
import dev.shears.core.onnx.TensorShapes;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the model reader and what runs on every model it accepts: validation, inventory, tensor
 * decoding, sparse densify, and a write + re-read round trip. The only exception allowed out is
 * {@link ShearsException} (the CLI's one-line errors); anything else is a finding.
 *
 * <p>In a normal build this runs on the seeds in {@code ModelFileFuzzTestInputs} (and any past
 * findings kept there); {@code .ci/run} fuzzes it with {@code JAZZER_FUZZ=1}.
 */
class ModelFileFuzzTest {
  /** An external data file beside the fuzzed model, so that external locations can resolve. */
  static final String EXTERNAL_FILE = "w.bin";

  private static final Path DIR = folder();

  static byte[] externalBytes() {
    byte[] b = new byte[4096];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 31);
    }
    return b;
  }

  private static Path folder() {
    try {
      Path d = Files.createTempDirectory("shears-fuzz-model");
      Files.write(d.resolve(EXTERNAL_FILE), externalBytes());
      d.toFile().deleteOnExit();
      d.resolve(EXTERNAL_FILE).toFile().deleteOnExit();
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void readModel(byte[] data) throws IOException {
    Path file = DIR.resolve("model.onnx");
    // A new file each time: an earlier model may still map the old one.
    Files.deleteIfExists(file);
    Files.write(file, data);
    Path out = DIR.resolve("out.onnx");
    try (ModelFile m = ModelFile.read(file)) {
      ModelProto proto = m.proto();
      Inventory.of(proto.getGraph(), SelectionRules.DEFAULT);
      for (TensorProto t : proto.getGraph().getInitializerList()) {
        DataType type = DataType.ofCode(t.getDataType());
        if (type == null || TensorShapes.elementCount(file, t) > (1 << 20)) {
          continue;
        }
        if (type.isPrunableFloat() || type == DataType.DOUBLE) {
          m.readFloats(t);
        } else {
          m.rawBytes(t);
        }
      }
      ModelProto dense = SparseStorage.densify(proto, file.toString());
      ModelWriter.write(dense, m, out, ExternalDataPolicy.AUTO);
      try (ModelFile back = ModelFile.read(out)) {
        back.proto();
      }
    } catch (ShearsException expected) {
      // the documented error: a one-line message naming the file
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(DIR.resolve("out.onnx.data"));
      Files.deleteIfExists(DIR.resolve("out.onnx.1.data"));
    }
  }
}
