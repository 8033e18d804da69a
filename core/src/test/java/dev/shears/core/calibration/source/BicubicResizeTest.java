package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BicubicResizeTest {

  /** 64x64, value 4 * x: a horizontal linear ramp 0..252. */
  private static int[] ramp64() {
    int[] v = new int[64 * 64];
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        v[y * 64 + x] = 4 * x;
      }
    }
    return v;
  }

  @Test
  void identityAtSameSize() {
    int[] src = ramp64();
    src[100] = 17;
    assertArrayEquals(src, BicubicResize.resize(src, 64, 64, 64, 64));
  }

  @Test
  void downscaledRampStaysLinearAndMonotone() {
    int[] out = BicubicResize.resize(ramp64(), 64, 64, 32, 32);
    assertEquals(32 * 32, out.length);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        int v = out[y * 32 + x];
        assertEquals(out[x], v, "constant down each column");
        if (x > 0) {
          assertTrue(v >= out[y * 32 + x - 1], "monotone at x=" + x);
        }
        // Output pixel x covers input pixels 2x and 2x+1, centred at 2x + 0.5: value 8x + 2.
        // A symmetric normalised filter reproduces a linear ramp exactly away from the edges,
        // where the widened (antialiasing) support of 4 input pixels is not cut off.
        if (x >= 2 && x <= 29) {
          assertEquals(8 * x + 2, v, "x=" + x);
        }
      }
    }
    assertTrue(out[0] >= 0 && out[31] <= 255);
  }

  @Test
  void antialiasingAveragesAStripePattern() {
    // Alternating 0/255 columns: without support scaling the filter would pick every other
    // column and keep the stripes; Pillow's widened filter averages them to mid-grey.
    int[] src = new int[16 * 4];
    for (int i = 0; i < src.length; i++) {
      src[i] = (i % 16) % 2 == 0 ? 0 : 255;
    }
    int[] out = BicubicResize.resize(src, 16, 4, 8, 4);
    for (int x = 2; x < 6; x++) {
      assertTrue(Math.abs(out[x] - 127.5) <= 1, "x=" + x + ": " + out[x]);
    }
  }

  @Test
  void upscaleKeepsConstantImage() {
    int[] src = new int[5 * 3];
    java.util.Arrays.fill(src, 77);
    int[] out = BicubicResize.resize(src, 5, 3, 11, 7);
    for (int v : out) {
      assertEquals(77, v);
    }
  }

  @Test
  void filterIsKeysCubicWithAMinusHalf() {
    assertEquals(1.0, BicubicResize.filter(0), 0);
    assertEquals(0.0, BicubicResize.filter(1), 1e-12);
    assertEquals(0.0, BicubicResize.filter(2), 0);
    assertEquals(-0.0625, BicubicResize.filter(1.5), 1e-12);
    assertEquals(0.5625, BicubicResize.filter(0.5), 1e-12);
  }
}
