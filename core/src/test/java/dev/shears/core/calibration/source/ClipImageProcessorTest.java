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
        config("{\"size\": {\"shortest_edge\": 4}, \"resample\": 1, \"crop_size\": 4}");
    assertEquals(4, p.process(constant(4, 4, 1, 2, 3), "t").height());
    CalibrationDataException e =
        assertThrows(
            CalibrationDataException.class, () -> p.process(constant(8, 8, 1, 2, 3), "cap:3"));
    assertTrue(e.getMessage().startsWith("cap:3"), e.getMessage());
  }

  private static RgbImage gradient(int w, int h) {
    int[][] p = new int[3][w * h];
    for (int i = 0; i < w * h; i++) {
      p[0][i] = (i * 37) % 256;
      p[1][i] = (i * 11) % 256;
      p[2][i] = 255 - (i * 5) % 256;
    }
    return new RgbImage(w, h, p);
  }

  /** The expected output of a straight resize to h x w, no crop, rescale only. */
  private static float[] resized(RgbImage img, int h, int w, int resample) {
    float[] want = new float[3 * h * w];
    for (int c = 0; c < 3; c++) {
      int[] r = BicubicResize.resize(img.planes()[c], img.width(), img.height(), w, h, resample);
      for (int i = 0; i < h * w; i++) {
        want[c * h * w + i] = (float) (r[i] * (1 / 255.0));
      }
    }
    return want;
  }

  @Test
  void heightWidthSizeWithoutCenterCrop() throws IOException {
    ClipImageProcessor p = config("{\"size\": {\"height\": 6, \"width\": 10}, \"do_center_crop\": false,"
        + " \"crop_size\": {\"height\": 4, \"width\": 4}, \"do_normalize\": false}");
    assertArrayEquals(new int[] {6, 10}, p.outputSize());
    RgbImage img = gradient(13, 9);
    ClipImageProcessor.Output out = p.process(img, "t");
    assertEquals(6, out.height());
    assertEquals(10, out.width());
    assertArrayEquals(resized(img, 6, 10, 3), out.chw(), 1e-7f);
  }

  @Test
  void absentCropSizeMeansNoCrop() throws IOException {
    ClipImageProcessor p = config("{\"size\": {\"shortest_edge\": 32}, \"do_normalize\": false}");
    assertEquals(null, p.outputSize(), "depends on the image");
    ClipImageProcessor.Output out = p.process(constant(64, 48, 255, 0, 51), "t");
    assertEquals(32, out.height());
    assertEquals(42, out.width()); // int(32 * 64 / 48), as transformers
    // and an int size is the shortest edge for CLIP
    ClipImageProcessor q = config("{\"size\": 16, \"crop_size\": 16}");
    assertArrayEquals(new int[] {16, 16}, q.outputSize());
    assertEquals(16, q.process(constant(40, 20, 1, 2, 3), "t").height());
  }

  @Test
  void blipImageProcessorAsShipped() throws IOException {
    // the layout of Salesforce/blip-itm-base-coco's preprocessor_config.json, at a small size
    ClipImageProcessor p = config("""
        {
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "BlipImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "processor_class": "BlipProcessor",
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": {"height": 12, "width": 12}
        }
        """);
    assertArrayEquals(new int[] {12, 12}, p.outputSize());
    RgbImage img = gradient(30, 17); // not square: resized straight, no crop
    ClipImageProcessor.Output out = p.process(img, "t");
    assertEquals(12, out.height());
    assertEquals(12, out.width());
    float[] want = resized(img, 12, 12, 3);
    float[] mean = {0.48145466f, 0.4578275f, 0.40821073f};
    float[] std = {0.26862954f, 0.26130258f, 0.27577711f};
    for (int i = 0; i < want.length; i++) {
      int c = i / 144;
      assertEquals((want[i] - mean[c]) / std[c], out.chw()[i], 1e-6f);
    }
    // an int size is a square for BLIP; absent size is 384
    assertArrayEquals(new int[] {7, 7},
        config("{\"image_processor_type\": \"BlipImageProcessor\", \"size\": 7}").outputSize());
    assertArrayEquals(new int[] {384, 384},
        config("{\"image_processor_type\": \"BlipImageProcessor\"}").outputSize());
  }

  @Test
  void vitImageProcessorResizesBilinearWithHalfStatistics() throws IOException {
    ClipImageProcessor p = config("{\"image_processor_type\": \"ViTImageProcessor\", \"size\": 4,"
        + " \"do_resize\": true}");
    assertArrayEquals(new int[] {4, 4}, p.outputSize());
    // Pillow's bilinear 2 -> 4 along a row: 0, 25, 75, 100 (edges replicated)
    int[][] planes = {{0, 100, 0, 100}, {0, 100, 0, 100}, {0, 100, 0, 100}};
    ClipImageProcessor.Output out = p.process(new RgbImage(2, 2, planes), "t");
    float[] row = Arrays.copyOf(out.chw(), 4);
    float[] want = new float[4];
    int[] px = {0, 25, 75, 100};
    for (int i = 0; i < 4; i++) {
      want[i] = ((float) (px[i] * (1 / 255.0)) - 0.5f) / 0.5f; // ViT's default mean and std 0.5
    }
    assertArrayEquals(want, row, 1e-6f);
    assertArrayEquals(new int[] {224, 224}, config("{\"image_processor_type\": \"ViTImageProcessor\"}").outputSize());
    // ViT never crops, even when a file carries crop keys
    assertArrayEquals(new int[] {8, 6}, config("{\"image_processor_type\": \"ViTImageProcessor\","
        + " \"size\": {\"height\": 8, \"width\": 6}, \"crop_size\": 2}").outputSize());
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
