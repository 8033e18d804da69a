package dev.shears.core.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.ShearsException;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerificationTest {
  static final Path TINY = BundledModels.tinyClip();
  @TempDir Path tmp;

  @Test
  void prunedModelFidelityOnACalibrationBatch() throws Exception {
    Map<String, Fidelity.OutputFidelity> f = Verification.verify(TINY.resolve("model.onnx"),
        TINY.resolve("reference/wanda-0.5.onnx"), TINY.resolve("calib"), TINY, CalibrationSources.Format.AUTO, 16,
        Device.CPU);
    assertTrue(f.get("image_embeds").cosine() < 1 && f.get("image_embeds").cosine() > 0.9, f.toString());
    assertEquals(16 * 16, f.get("logits_per_image").values());
  }

  @Test
  void anOutputThatDoesNotLoadIsAOneLineFailure() throws Exception {
    byte[] bytes = Files.readAllBytes(TINY.resolve("model.onnx"));
    Path broken = tmp.resolve("broken.onnx");
    Files.write(broken, Arrays.copyOf(bytes, bytes.length / 3));
    ShearsException e = assertThrows(ShearsException.class, () -> Verification.verify(TINY.resolve("model.onnx"),
        broken, TINY.resolve("calib"), TINY, CalibrationSources.Format.AUTO, 4, Device.CPU));
    assertTrue(e.getMessage().startsWith(broken + ": the pruned model does not load in ONNX Runtime: "), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));
  }
}
