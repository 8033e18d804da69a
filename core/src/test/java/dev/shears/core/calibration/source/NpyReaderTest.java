package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyReaderTest {
  @TempDir Path tmp;

  @Test
  void readsRowSlicesOfEveryVersion() throws IOException {
    for (int version = 1; version <= 3; version++) {
      Path f =
          NpyFiles.write(
              tmp.resolve("v" + version + ".npy"),
              "<f4",
              new long[] {4, 3},
              NpyFiles.floatRamp(12),
              version);
      try (NpyReader r = NpyReader.open(f)) {
        assertEquals(NpyDtype.FLOAT32, r.dtype());
        assertArrayEquals(new long[] {4, 3}, r.shape());
        assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, r.readFloats(1, 3));
        assertEquals(0, r.readFloats(2, 2).length);
      }
    }
  }

  @Test
  void convertsStoredTypes() throws IOException {
    Path f8 =
        NpyFiles.write(tmp.resolve("d.npy"), "<f8", new long[] {2}, NpyFiles.doubles(0.1, 2.5), 1);
    Path i4 =
        NpyFiles.write(
            tmp.resolve("i.npy"), "<i4", new long[] {2, 1}, NpyFiles.ints(-7, 1 << 30), 1);
    Path u1 =
        NpyFiles.write(
            tmp.resolve("u.npy"), "|u1", new long[] {3}, new byte[] {0, (byte) 200, 5}, 1);
    Path b1 = NpyFiles.write(tmp.resolve("b.npy"), "|b1", new long[] {2}, new byte[] {1, 0}, 1);
    try (NpyReader r = NpyReader.open(f8)) {
      assertArrayEquals(new float[] {0.1f, 2.5f}, r.readFloats(0, 2));
      assertThrows(IllegalStateException.class, () -> r.readLongs(0, 1));
    }
    try (NpyReader r = NpyReader.open(i4)) {
      assertArrayEquals(new long[] {-7, 1 << 30}, r.readLongs(0, 2));
    }
    try (NpyReader r = NpyReader.open(u1)) {
      assertArrayEquals(new long[] {200, 5}, r.readLongs(1, 3));
    }
    try (NpyReader r = NpyReader.open(b1)) {
      assertArrayEquals(new long[] {1, 0}, r.readLongs(0, 2));
    }
  }

  @Test
  void readsBundledTensors() throws IOException {
    Path calib = BundledModels.tinyClip().resolve("calib");
    try (NpyReader r = NpyReader.open(calib.resolve("input_ids.npy"))) {
      assertEquals(NpyDtype.INT64, r.dtype());
      assertArrayEquals(new long[] {256, 12}, r.shape());
      long[] row = r.readLongs(0, 1);
      assertEquals(1, row[0], "BOS first");
      assertTrue(Arrays.stream(row).anyMatch(v -> v == 2), "EOS present");
    }
  }

  @Test
  void badMagic() throws IOException {
    Path f = Files.write(tmp.resolve("x.npy"), "hello world, not numpy".getBytes());
    assertMessage(f, "bad magic");
  }

  @Test
  void badHeaderLengthIsCheckedBeforeAllocating() throws IOException {
    Path f = NpyFiles.write(tmp.resolve("x.npy"), "<f4", new long[] {2}, NpyFiles.floats(1, 2), 2);
    byte[] b = Files.readAllBytes(f);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0x7fff_0000);
    Files.write(f, b);
    assertMessage(f, "header length");
  }

  @Test
  void unsupportedDtypeAndOrder() throws IOException {
    Path big = NpyFiles.write(tmp.resolve("big.npy"), ">f4", new long[] {1}, NpyFiles.floats(1), 1);
    assertMessage(big, "big-endian");
    Path f2 = NpyFiles.write(tmp.resolve("h.npy"), "<f2", new long[] {1}, new byte[2], 1);
    assertMessage(f2, "'<f2'");
    Path fortran =
        NpyFiles.writeRaw(
            tmp.resolve("f.npy"),
            "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }",
            NpyFiles.floats(1),
            1);
    assertMessage(fortran, "Fortran");
    Path garbage = NpyFiles.writeRaw(tmp.resolve("g.npy"), "descr <f4", new byte[0], 1);
    assertMessage(garbage, "not a Python dict");
    Path badShape =
        NpyFiles.writeRaw(
            tmp.resolve("s.npy"),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }",
            new byte[0],
            1);
    assertMessage(badShape, "bad shape");
  }

  @Test
  void truncatedData() throws IOException {
    Path f =
        NpyFiles.write(tmp.resolve("t.npy"), "<i8", new long[] {4, 3}, NpyFiles.longRamp(12), 1);
    byte[] b = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(b, b.length - 5));
    CalibrationDataException e = assertMessage(f, "truncated");
    assertTrue(e.getMessage().contains("96"), e.getMessage());
  }

  @Test
  void hugeShapeDoesNotAllocate() throws IOException {
    Path f =
        NpyFiles.write(
            tmp.resolve("h.npy"), "<f4", new long[] {1L << 40, 1L << 30}, new byte[0], 1);
    assertMessage(f, "too large");
  }

  private static CalibrationDataException assertMessage(Path f, String part) {
    CalibrationDataException e =
        assertThrows(CalibrationDataException.class, () -> NpyReader.open(f).close());
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(part), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "one line");
    return e;
  }
}
