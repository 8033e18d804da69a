package dev.shears.core.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {
  @TempDir Path tmp;

  private void assertByteIdentical(Path model) throws Exception {
    Path out = tmp.resolve("out.onnx");
    try (ModelFile m = ModelFile.read(model)) {
      ModelWriter.write(m.proto(), m, out, ExternalDataPolicy.AUTO);
    }
    assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(out), model + " changed");
  }

  @Test
  void tinyClipIsByteIdentical() throws Exception {
    assertByteIdentical(BundledModels.tinyClip().resolve("model.onnx"));
  }

  @Test
  void miniLmIsByteIdentical() throws Exception {
    assertByteIdentical(dev.shears.core.TestModels.miniLm());
  }

  @Test
  void externalDataRoundTrips() throws Exception {
    Path src = BundledModels.tinyClip().resolve("model.onnx");
    Path ext = tmp.resolve("ext.onnx");
    Path back = tmp.resolve("back.onnx");
    try (ModelFile m = ModelFile.read(src)) {
      ModelWriter.write(m.proto(), m, ext, ExternalDataPolicy.ALWAYS);
    }
    assertTrue(Files.exists(tmp.resolve("ext.onnx.data")));
    assertTrue(Files.size(ext) < 400_000 && Files.size(tmp.resolve("ext.onnx.data")) > 6_000_000, "weights moved out of the protobuf");
    try (ModelFile m = ModelFile.read(ext)) {
      long external = m.proto().getGraph().getInitializerList().stream()
          .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).count();
      assertTrue(external > 40);
      for (TensorProto t : m.proto().getGraph().getInitializerList()) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
          long offset = Long.parseLong(t.getExternalDataList().stream()
              .filter(e -> e.getKey().equals("offset")).findFirst().orElseThrow().getValue());
          assertEquals(0, offset % 4096, "aligned offset");
        }
      }
      ModelWriter.write(m.proto(), m, back, ExternalDataPolicy.NEVER);
    }
    // back to inline: the same model as the original, byte for byte
    assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(back));
    ModelProto a = ModelProto.parseFrom(Files.readAllBytes(src));
    ModelProto b = ModelProto.parseFrom(Files.readAllBytes(back));
    assertEquals(a, b);
  }
}
