package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PairedBatchesTest {
  /** 4 pairs: image i is filled with i, text i is [10 i, 10 i + 1]. */
  private static Map<String, HostTensor> batch() {
    float[] px = new float[4 * 3];
    long[] ids = new long[4 * 2];
    for (int i = 0; i < 4; i++) {
      for (int k = 0; k < 3; k++) {
        px[i * 3 + k] = i;
      }
      ids[i * 2] = 10L * i;
      ids[i * 2 + 1] = 10L * i + 1;
    }
    Map<String, HostTensor> b = new LinkedHashMap<>();
    b.put("pixel_values", HostTensor.of("pixel_values", new long[] {4, 3}, px));
    b.put("input_ids", HostTensor.of("input_ids", new long[] {4, 2}, ids));
    return b;
  }

  private static float[] floats(HostTensor t) {
    float[] v = new float[t.data().remaining()];
    ((FloatBuffer) t.data().duplicate()).get(v);
    return v;
  }

  private static long[] longs(HostTensor t) {
    long[] v = new long[t.data().remaining()];
    ((LongBuffer) t.data().duplicate()).get(v);
    return v;
  }

  @Test
  void firstRowsKeepsTheLeadingSamples() {
    Map<String, HostTensor> two = PairedBatches.firstRows(batch(), 2);
    assertArrayEquals(new long[] {2, 3}, two.get("pixel_values").shape());
    assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, floats(two.get("pixel_values")));
    assertArrayEquals(new long[] {0, 1, 10, 11}, longs(two.get("input_ids")));
  }

  @Test
  void mismatchedTwinShufflesTextsOnly() {
    Map<String, HostTensor> paired = PairedBatches.withMismatched(batch(), 7);
    float[] px = floats(paired.get("pixel_values"));
    long[] ids = longs(paired.get("input_ids"));
    assertEquals(8 * 3, px.length);
    for (int i = 0; i < 8; i++) {
      assertEquals(i % 4, px[i * 3], "images: the batch, then the batch again");
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(10L * i, ids[i * 2], "matched pairs first");
      long text = ids[(4 + i) * 2] / 10;
      assertNotEquals(i, text, "no text stays with its own image");
      assertEquals(ids[(4 + i) * 2] + 1, ids[(4 + i) * 2 + 1], "rows move whole");
    }
  }
}
