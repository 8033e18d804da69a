package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A range of samples batches as a source of its own would, whatever the source's batch boundaries. */
class SampleRangeTest {

  /** Sample i: ids [i, 100 + i], pixels [i / 2]. */
  static CalibrationSource numbered(int n) {
    return new CalibrationSource() {
      @Override
      public String describe() {
        return n + " numbered samples";
      }

      @Override
      public List<String> inputNames() {
        return List.of("ids", "pixels");
      }

      @Override
      public int sampleCount() {
        return n;
      }

      @Override
      public BatchReader open(int batchSize) {
        return new BatchReader() {
          int next;
          int index;

          @Override
          public CalibrationBatch next() {
            if (next >= n) {
              return null;
            }
            int size = Math.min(batchSize, n - next);
            long[] ids = new long[2 * size];
            float[] px = new float[size];
            for (int r = 0; r < size; r++) {
              ids[2 * r] = next + r;
              ids[2 * r + 1] = 100 + next + r;
              px[r] = (next + r) / 2f;
            }
            next += size;
            return new CalibrationBatch(index++, size, Map.of("ids", HostTensor.of("ids", new long[] {size, 2}, ids),
                "pixels", HostTensor.of("pixels", new long[] {size, 1}, px)));
          }

          @Override
          public void close() {}
        };
      }
    };
  }

  static List<List<Long>> read(CalibrationSource s, int batchSize) throws IOException {
    List<List<Long>> batches = new ArrayList<>();
    try (CalibrationSource.BatchReader r = s.open(batchSize)) {
      CalibrationBatch b;
      int index = 0;
      while ((b = r.next()) != null) {
        assertEquals(index++, b.index());
        LongBuffer ids = (LongBuffer) b.inputs().get("ids").data().duplicate();
        FloatBuffer px = (FloatBuffer) b.inputs().get("pixels").data().duplicate();
        List<Long> samples = new ArrayList<>();
        for (int i = 0; i < b.size(); i++) {
          long id = ids.get(2 * i);
          assertEquals(100 + id, ids.get(2 * i + 1));
          assertEquals(id / 2f, px.get(i));
          samples.add(id);
        }
        assertArrayEquals(new long[] {b.size(), 2}, b.inputs().get("ids").shape());
        batches.add(samples);
      }
    }
    return batches;
  }

  @Test
  void headAndTailBatchLikeSourcesOfTheirOwn() throws IOException {
    CalibrationSource all = numbered(23);
    assertEquals(read(numbered(17), 4), read(SampleRange.of(all, 0, 17), 4));
    assertEquals(List.of(List.of(17L, 18L, 19L, 20L), List.of(21L, 22L)), read(SampleRange.of(all, 17, 6), 4));
    // batches that straddle the source's own boundaries
    assertEquals(List.of(List.of(5L, 6L, 7L), List.of(8L, 9L, 10L), List.of(11L)), read(SampleRange.of(all, 5, 7), 3));
    assertEquals(6, SampleRange.of(all, 17, 6).sampleCount());
  }

  @Test
  void aRangeOutsideTheSourceIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> SampleRange.of(numbered(10), 5, 6));
    assertThrows(IllegalArgumentException.class, () -> SampleRange.of(numbered(10), 0, 0));
  }
}
