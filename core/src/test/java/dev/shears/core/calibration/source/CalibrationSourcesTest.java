package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.source.CalibrationSources.Format;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationSourcesTest {
  @TempDir Path tmp;

  private static final Path MODEL = BundledModels.tinyClip();
  private static final Path CALIB = MODEL.resolve("calib");

  @Test
  void autoPrefersTensorsAndSaysSo() throws IOException {
    CalibrationSource src =
        CalibrationSources.open(CALIB, MODEL, Format.AUTO, 64, TinyClip.inputs());
    assertEquals(64, src.sampleCount());
    assertTrue(src.describe().contains("captions.jsonl ignored"), src.describe());
  }

  @Test
  void explicitFormats() throws IOException {
    assertInstanceOf(
        NpySource.class, CalibrationSources.open(CALIB, MODEL, Format.NPY, 0, TinyClip.inputs()));
    CalibrationSource c =
        CalibrationSources.open(CALIB, MODEL, Format.CAPTIONS, 10, TinyClip.inputs());
    assertInstanceOf(CaptionsSource.class, c);
    assertEquals(10, c.sampleCount());
    assertEquals(TinyClip.inputs().stream().map(InputSpec::name).toList(), c.inputNames());
  }

  @Test
  void autoFallsBackToCaptions() throws IOException {
    Files.copy(CALIB.resolve("00000.png"), tmp.resolve("00000.png"));
    Files.writeString(
        tmp.resolve("captions.jsonl"), "{\"image\": \"00000.png\", \"text\": \"a\"}\n");
    assertInstanceOf(
        CaptionsSource.class,
        CalibrationSources.open(tmp, MODEL, Format.AUTO, 0, TinyClip.inputs()));
  }

  @Test
  void emptyAndMissingFolders() {
    CalibrationDataException e =
        assertThrows(
            CalibrationDataException.class,
            () -> CalibrationSources.open(tmp, MODEL, Format.AUTO, 0, TinyClip.inputs()));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    e =
        assertThrows(
            CalibrationDataException.class,
            () ->
                CalibrationSources.open(
                    tmp.resolve("none"), MODEL, Format.AUTO, 0, TinyClip.inputs()));
    assertTrue(e.getMessage().contains("none"), e.getMessage());
    assertThrows(
        CalibrationDataException.class,
        () -> CalibrationSources.open(tmp, MODEL, Format.NPY, 0, TinyClip.inputs()));
    assertThrows(
        CalibrationDataException.class,
        () -> CalibrationSources.open(tmp, MODEL, Format.CAPTIONS, 0, TinyClip.inputs()));
  }
}
