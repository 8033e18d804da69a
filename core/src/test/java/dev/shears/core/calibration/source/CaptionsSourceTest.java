package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationSource.BatchReader;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptionsSourceTest {
  @TempDir Path tmp;

  private static final Path MODEL = BundledModels.tinyClip();
  private static final Path CALIB = MODEL.resolve("calib");

  @Test
  void reproducesTheBundledTensors() throws IOException {
    CaptionsSource src = CaptionsSource.open(CALIB, MODEL, TinyClip.inputs(), 0);
    assertEquals(256, src.sampleCount());
    assertTrue(src.describe().contains("12 tokens (from tokenizer.json padding)"), src.describe());
    int row = 0;
    double maxDiff = 0;
    try (BatchReader r = src.open(100);
        NpyReader pix = NpyReader.open(CALIB.resolve("pixel_values.npy"));
        NpyReader ids = NpyReader.open(CALIB.resolve("input_ids.npy"));
        NpyReader mask = NpyReader.open(CALIB.resolve("attention_mask.npy"))) {
      CalibrationBatch b;
      while ((b = r.next()) != null) {
        int to = row + b.size();
        float[] want = pix.readFloats(row, to);
        float[] got = new float[want.length];
        ((FloatBuffer) b.inputs().get("pixel_values").data()).get(got);
        assertArrayEquals(new long[] {b.size(), 3, 32, 32}, b.inputs().get("pixel_values").shape());
        for (int i = 0; i < want.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(want[i] - got[i]));
        }
        assertArrayEquals(ids.readLongs(row, to), longs(b, "input_ids"), "input_ids at " + row);
        assertArrayEquals(mask.readLongs(row, to), longs(b, "attention_mask"), "mask at " + row);
        row = to;
      }
      assertNull(r.next());
    }
    assertEquals(256, row);
    assertTrue(maxDiff <= 1e-5, "max |pixel diff| " + maxDiff);
  }

  @Test
  void capsAtTheFirstLines() throws IOException {
    CaptionsSource src = CaptionsSource.open(CALIB, MODEL, TinyClip.inputs(), 5);
    assertEquals(5, src.sampleCount());
    try (BatchReader r = src.open(2);
        NpyReader ids = NpyReader.open(CALIB.resolve("input_ids.npy"))) {
      assertEquals(2, r.next().size());
      assertEquals(2, r.next().size());
      CalibrationBatch last = r.next();
      assertEquals(1, last.size());
      assertArrayEquals(ids.readLongs(4, 5), longs(last, "input_ids"));
      assertNull(r.next());
    }
  }

  @Test
  void textOnlyModelIgnoresImages() throws IOException {
    Files.writeString(
        tmp.resolve("captions.jsonl"),
        "{\"text\": \"a red circle\"}\n\n"
            + "{\"text\": \"a small blue square on the left\", \"image\": \"missing.png\"}\n");
    CaptionsSource src =
        CaptionsSource.open(
            tmp,
            MODEL.resolve("model.onnx"),
            List.of(TinyClip.INPUT_IDS, TinyClip.ATTENTION_MASK),
            0);
    try (BatchReader r = src.open(8)) {
      CalibrationBatch b = r.next();
      assertEquals(2, b.size());
      long[] ids = longs(b, "input_ids");
      assertEquals(24, ids.length);
      assertEquals(1, ids[0]); // [BOS]
    }
  }

  @Test
  void twoTowerModelRefusesTextOnlyLines() throws IOException {
    Files.copy(CALIB.resolve("00000.png"), tmp.resolve("a.png"));
    Files.writeString(
        tmp.resolve("captions.jsonl"),
        "{\"image\": \"a.png\", \"text\": \"a red circle\"}\n{\"text\": \"a red circle\"}\n");
    assertError("captions.jsonl:2", "no \"image\"");
  }

  @Test
  void corruptPng() throws IOException {
    byte[] png = Files.readAllBytes(CALIB.resolve("00000.png"));
    byte[] broken = java.util.Arrays.copyOf(png, 60);
    Files.write(tmp.resolve("bad.png"), broken);
    Files.copy(CALIB.resolve("00001.png"), tmp.resolve("good.png"));
    Files.writeString(
        tmp.resolve("captions.jsonl"),
        "{\"image\": \"good.png\", \"text\": \"a\"}\n{\"image\": \"bad.png\", \"text\": \"b\"}\n");
    CaptionsSource src = CaptionsSource.open(tmp, MODEL, TinyClip.inputs(), 0);
    CalibrationDataException e =
        assertThrows(
            CalibrationDataException.class,
            () -> {
              try (BatchReader r = src.open(4)) {
                r.next();
              }
            });
    assertTrue(e.getMessage().contains("captions.jsonl:2"), e.getMessage());
    assertTrue(e.getMessage().contains("bad.png"), e.getMessage());
  }

  @Test
  void invalidUtf8NamesTheLine() throws IOException {
    byte[] good = "{\"image\": \"00000.png\", \"text\": \"a\"}\n".getBytes(StandardCharsets.UTF_8);
    byte[] bad = {
      '{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'
    };
    Path f = tmp.resolve("captions.jsonl");
    Files.write(f, good);
    Files.write(f, good, java.nio.file.StandardOpenOption.APPEND);
    Files.write(f, bad, java.nio.file.StandardOpenOption.APPEND);
    assertError("captions.jsonl:3", "invalid UTF-8");
  }

  @Test
  void badJsonLine() throws IOException {
    Files.writeString(
        tmp.resolve("captions.jsonl"), "{\"image\": \"a.png\", \"text\": \"x\"}\n{\"image\": \n");
    assertError("captions.jsonl:2", "not valid JSON");
  }

  @Test
  void emptyCaptions() throws IOException {
    Files.writeString(tmp.resolve("captions.jsonl"), "\n\n");
    assertError("captions.jsonl", "no caption lines");
  }

  @Test
  void missingImage() throws IOException {
    Files.writeString(
        tmp.resolve("captions.jsonl"), "{\"image\": \"nope.png\", \"text\": \"x\"}\n");
    assertError("captions.jsonl:1", "nope.png");
  }

  @Test
  void inputCaptionsCannotFeed() throws IOException {
    Files.writeString(tmp.resolve("captions.jsonl"), "{\"text\": \"x\"}\n");
    InputSpec pos =
        new InputSpec(
            "position_ids",
            dev.shears.core.calibration.HostTensor.ElementType.INT64,
            new long[] {-1, -1});
    CalibrationDataException e =
        assertThrows(
            CalibrationDataException.class,
            () -> CaptionsSource.open(tmp, MODEL, List.of(TinyClip.INPUT_IDS, pos), 0));
    assertTrue(e.getMessage().contains("position_ids"), e.getMessage());
  }

  private void assertError(String... parts) {
    CalibrationDataException e =
        assertThrows(
            CalibrationDataException.class,
            () -> CaptionsSource.open(tmp, MODEL, TinyClip.inputs(), 0));
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), e.getMessage());
    }
  }

  static long[] longs(CalibrationBatch b, String name) {
    LongBuffer lb = (LongBuffer) b.inputs().get(name).data();
    long[] v = new long[lb.remaining()];
    lb.get(v);
    return v;
  }
}
