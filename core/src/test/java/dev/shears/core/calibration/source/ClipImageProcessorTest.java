package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipImageProcessorTest {
  @TempDir Path tmp;

  private ClipImageProcessor config(String json) throws IOException {
    return ClipImageProcessor.load(
        Files.writeString(tmp.resolve("preprocessor_config.json"), json));
  }

  private static RgbImage constant(int w, int h, int r, int g, int b) {
    int[][] p = new int[3][w * h];
    Arrays.fill(p[0], r);
    Arrays.fill(p[1], g);
    Arrays.fill(p[2], b);
    return new RgbImage(w, h, p);
  }

  @Test
  void shortestEdgeResizeThenCenterCrop() throws IOException {
    ClipImageProcessor p =
        config(
            "{\"size\": {\"shortest_edge\": 32}, \"crop_size\": {\"height\": 32, \"width\": 32},"
                + " \"rescale_factor\": 0.00392156862745098, \"image_mean\": [0.5, 0.5, 0.5],"
                + " \"image_std\": [0.5, 0.5, 0.5]}");
    assertArrayEquals(new int[] {32, 32}, p.outputSize());
    ClipImageProcessor.Output out = p.process(constant(64, 48, 255, 0, 51), "t");
    assertEquals(32, out.height());
    assertEquals(32, out.width());
    float[] v = out.chw();
    for (int i = 0; i < 32 * 32; i++) {
      assertEquals(1f, v[i], 1e-6);
      assertEquals(-1f, v[1024 + i], 1e-6);
      assertEquals(-0.6f, v[2048 + i], 1e-6);
    }
  }

  @Test
  void cropLargerThanImagePadsWithBlack() throws IOException {
    ClipImageProcessor p =
        config("{\"do_resize\": false, \"crop_size\": 4, \"do_normalize\": false}");
    ClipImageProcessor.Output out = p.process(constant(3, 3, 255, 255, 255), "t");
    // 3 -> 4: one padding row/column at the start, as transformers' center_crop does.
    float[] r = Arrays.copyOf(out.chw(), 16);
    float[] want = {0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1};
    assertArrayEquals(want, r, 1e-6f);
  }

  @Test
  void unsupportedResampleOnlyFailsWhenResizing() throws IOException {
    ClipImageProcessor p =
        config("{\"size\": {\"shortest_edge\": 4}, \"resample\": 2, \"crop_size\": 4}");
    assertEquals(4, p.process(constant(4, 4, 1, 2, 3), "t").height());
    CalibrationDataException e =
        assertThrows(
            CalibrationDataException.class, () -> p.process(constant(8, 8, 1, 2, 3), "cap:3"));
    assertTrue(e.getMessage().startsWith("cap:3"), e.getMessage());
  }

  @Test
  void decodesJpegAndGrayPng() throws IOException {
    BufferedImage rgb = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 64; i++) {
      rgb.setRGB(i % 8, i / 8, 0x808080);
    }
    Path jpg = tmp.resolve("a.jpg");
    ImageIO.write(rgb, "jpeg", jpg.toFile());
    RgbImage j = RgbImage.read(jpg, "t");
    assertEquals(8, j.width());
    assertTrue(Math.abs(j.planes()[1][10] - 128) <= 2);

    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(0, 0, 0, 37);
    gray.getRaster().setSample(1, 0, 0, 200);
    Path png = tmp.resolve("g.png");
    ImageIO.write(gray, "png", png.toFile());
    RgbImage g = RgbImage.read(png, "t");
    assertArrayEquals(new int[] {37, 200}, g.planes()[0]);
    assertArrayEquals(new int[] {37, 200}, g.planes()[2]);
  }

  @Test
  void notAnImage() throws IOException {
    Path f = Files.writeString(tmp.resolve("x.png"), "hello");
    CalibrationDataException e =
        assertThrows(CalibrationDataException.class, () -> RgbImage.read(f, "caps:9"));
    assertTrue(
        e.getMessage().contains("caps:9") && e.getMessage().contains("x.png"), e.getMessage());
  }
}
