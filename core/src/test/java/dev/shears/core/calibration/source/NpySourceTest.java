package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationSource.BatchReader;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.HostTensor.ElementType;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpySourceTest {
  @TempDir Path tmp;

  private static final InputSpec X = new InputSpec("x", ElementType.FLOAT, new long[] {-1, 3});
  private static final InputSpec IDS =
      new InputSpec("input_ids", ElementType.INT64, new long[] {-1, -1});

  /** Writes x.npy float [n,3] (values = flat index) and input_ids.npy int64 [n,4]. */
  private void writeSmall(int n) throws IOException {
    NpyFiles.write(tmp.resolve("x.npy"), "<f4", new long[] {n, 3}, NpyFiles.floatRamp(n * 3), 1);
    NpyFiles.write(
        tmp.resolve("input_ids.npy"), "<i8", new long[] {n, 4}, NpyFiles.longRamp(n * 4), 1);
  }

  @Test
  void batchesInOrderWithPartialLastBatchAndCap() throws IOException {
    writeSmall(10);
    NpySource src = NpySource.open(tmp, List.of(X, IDS), 7);
    assertEquals(7, src.sampleCount());
    assertEquals(List.of("x", "input_ids"), src.inputNames());
    for (int pass = 0; pass < 2; pass++) { // a source can be read several times
      List<Integer> sizes = new ArrayList<>();
      float expectX = 0;
      long expectId = 0;
      try (BatchReader r = src.open(3)) {
        CalibrationBatch b;
        while ((b = r.next()) != null) {
          assertEquals(sizes.size(), b.index());
          sizes.add(b.size());
          HostTensor x = b.inputs().get("x");
          assertArrayEquals(new long[] {b.size(), 3}, x.shape());
          FloatBuffer fb = (FloatBuffer) x.data();
          while (fb.hasRemaining()) {
            assertEquals(expectX++, fb.get());
          }
          LongBuffer lb = (LongBuffer) b.inputs().get("input_ids").data();
          while (lb.hasRemaining()) {
            assertEquals(expectId++, lb.get());
          }
        }
        assertNull(r.next());
      }
      assertEquals(List.of(3, 3, 1), sizes);
      assertEquals(21, expectX);
    }
  }

  @Test
  void uncappedReadsAll() throws IOException {
    writeSmall(5);
    assertEquals(5, NpySource.open(tmp, List.of(X, IDS), 0).sampleCount());
    assertEquals(5, NpySource.open(tmp, List.of(X, IDS), 100).sampleCount());
  }

  @Test
  void fillsAttentionMaskWithOnesAndTokenTypesWithZeros() throws IOException {
    writeSmall(5);
    InputSpec mask = new InputSpec("attention_mask", ElementType.INT64, new long[] {-1, -1});
    InputSpec types = new InputSpec("token_type_ids", ElementType.INT64, new long[] {-1, -1});
    NpySource src = NpySource.open(tmp, List.of(IDS, mask, types), 0);
    assertTrue(src.describe().contains("attention_mask filled with ones"), src.describe());
    try (BatchReader r = src.open(2)) {
      CalibrationBatch b = r.next();
      HostTensor m = b.inputs().get("attention_mask");
      assertArrayEquals(new long[] {2, 4}, m.shape());
      long[] v = new long[8];
      ((LongBuffer) m.data()).get(v);
      assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, v);
      ((LongBuffer) b.inputs().get("token_type_ids").data()).get(v);
      assertArrayEquals(new long[8], v);
    }
  }

  @Test
  void widensInt32AndNarrowsFloat64() throws IOException {
    NpyFiles.write(
        tmp.resolve("x.npy"), "<f8", new long[] {1, 3}, NpyFiles.doubles(0.5, 1.5, 2.5), 1);
    NpyFiles.write(tmp.resolve("input_ids.npy"), "<i4", new long[] {1, 2}, NpyFiles.ints(7, 9), 1);
    try (BatchReader r = NpySource.open(tmp, List.of(X, IDS), 0).open(4)) {
      CalibrationBatch b = r.next();
      assertEquals(1, b.size());
      assertEquals(2.5f, ((FloatBuffer) b.inputs().get("x").data()).get(2));
      assertEquals(9L, ((LongBuffer) b.inputs().get("input_ids").data()).get(1));
    }
  }

  @Test
  void wrongDtype() throws IOException {
    writeSmall(2);
    NpyFiles.write(
        tmp.resolve("input_ids.npy"), "<f4", new long[] {2, 4}, NpyFiles.floatRamp(8), 1);
    assertError(List.of(X, IDS), "input_ids", "<f4");
  }

  @Test
  void wrongShape() throws IOException {
    writeSmall(2);
    InputSpec x4 = new InputSpec("x", ElementType.FLOAT, new long[] {-1, 4});
    assertError(List.of(x4, IDS), "model input x has shape [?, 4], the file holds [2, 3]");
    InputSpec rank3 = new InputSpec("x", ElementType.FLOAT, new long[] {-1, 3, 1});
    assertError(List.of(rank3, IDS), "[2, 3]");
  }

  @Test
  void missingInput() throws IOException {
    writeSmall(2);
    InputSpec other = new InputSpec("pixel_values", ElementType.FLOAT, new long[] {-1, 3, 8, 8});
    assertError(List.of(X, other), "pixel_values");
  }

  @Test
  void differentSampleCounts() throws IOException {
    writeSmall(2);
    NpyFiles.write(tmp.resolve("x.npy"), "<f4", new long[] {3, 3}, NpyFiles.floatRamp(9), 1);
    assertError(List.of(X, IDS), "samples");
  }

  @Test
  void emptyAndMissingFolder() throws IOException {
    assertError(List.of(X, IDS), "no .npy file");
    assertThrows(
        CalibrationDataException.class, () -> NpySource.open(tmp.resolve("nope"), List.of(X), 0));
  }

  @Test
  void bundledTensorsLoadAndIgnoreOtherFiles() throws IOException {
    Path calib = BundledModels.tinyClip().resolve("calib");
    NpySource src = NpySource.open(calib, TinyClip.inputs(), 0);
    assertEquals(256, src.sampleCount());
    assertTrue(Files.exists(calib.resolve("reference_logits_per_image.npy")));
    try (BatchReader r = src.open(100)) {
      int total = 0;
      CalibrationBatch b;
      while ((b = r.next()) != null) {
        assertArrayEquals(new long[] {b.size(), 3, 32, 32}, b.inputs().get("pixel_values").shape());
        total += b.size();
      }
      assertEquals(256, total);
    }
  }

  private void assertError(List<InputSpec> inputs, String... parts) {
    CalibrationDataException e =
        assertThrows(CalibrationDataException.class, () -> NpySource.open(tmp, inputs, 0));
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
    }
  }
}
