package dev.shears.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.shears.core.calibration.source.CalibrationDataException;
import dev.shears.core.calibration.source.NpyReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the {@code .npy} reader: header parsing and reading every row. The only exception
 * allowed out is {@link CalibrationDataException}; anything else is a finding.
 */
class NpyReaderFuzzTest {
  private static final Path DIR = folder();

  private static Path folder() {
    try {
      Path d = Files.createTempDirectory("shears-fuzz-npy");
      d.toFile().deleteOnExit();
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void readNpy(byte[] data) throws IOException {
    Path file = DIR.resolve("input_ids.npy");
    Files.write(file, data);
    try (NpyReader r = NpyReader.open(file)) {
      long rows = r.rows();
      long[] shape = r.shape();
      long perRow = 1;
      for (int a = 1; a < shape.length; a++) {
        perRow *= shape[a];
      }
      if (rows * perRow > (1 << 20)) {
        return; // valid, just large: reading it is not the parser's business
      }
      for (long from = 0; from < rows; from += 3) {
        long to = Math.min(rows, from + 3);
        r.readFloats(from, to);
        if (!r.dtype().isFloating()) {
          r.readLongs(from, to);
        }
      }
    } catch (CalibrationDataException expected) {
      // the documented error
    } finally {
      file.toFile().deleteOnExit();
    }
  }
}
