package dev.shears.core.calibration.source;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An 8-bit RGB image as three row-major planes, what Pillow's {@code convert("RGB")} gives.
 *
 * @param width pixels per row
 * @param height rows
 * @param planes red, green and blue, each {@code width * height} values in {@code 0..255}
 */
record RgbImage(int width, int height, int[][] planes) {

  /**
   * Decodes a PNG or JPEG file (anything {@code javax.imageio} reads) and drops any alpha channel,
   * as Pillow does when converting RGBA to RGB.
   *
   * @param where the file and line to name in an error, e.g. {@code captions.jsonl:7}
   */
  static RgbImage read(Path file, String where) {
    checkSize(file, where);
    BufferedImage img;
    try {
      img = ImageIO.read(file.toFile());
    } catch (IOException | RuntimeException e) {
      // ImageIO reports corrupt data as IIOException, and sometimes as a runtime exception.
      throw new CalibrationDataException(
          where + ": cannot decode image " + file + " (" + oneLine(e) + ")", e);
    }
    if (img == null) {
      throw new CalibrationDataException(
          where + ": " + file + " is not an image format this JVM can read (PNG, JPEG, BMP, GIF)");
    }
    return of(img);
  }

  /** Images larger than this are refused before decoding (8192 x 8192). */
  static final long MAX_PIXELS = 1L << 26;

  /**
   * Reads the declared size from the image header, without decoding the pixels, and refuses
   * images whose pixels would not fit in memory: a header is easy to forge.
   */
  private static void checkSize(Path file, String where) {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      if (in == null) {
        return; // reported by ImageIO.read
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return; // not an image format: reported by ImageIO.read
      }
      ImageReader r = readers.next();
      try {
        r.setInput(in, true, true);
        long w = r.getWidth(0);
        long h = r.getHeight(0);
        if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
          throw new CalibrationDataException(where + ": image " + file + " is " + w + " x " + h
              + " pixels; at most " + MAX_PIXELS + " pixels are accepted");
        }
      } finally {
        r.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof CalibrationDataException c) {
        throw c;
      }
      throw new CalibrationDataException(
          where + ": cannot decode image " + file + " (" + oneLine(e) + ")", e);
    }
  }

  /** Converts a decoded image to RGB planes. */
  static RgbImage of(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[][] p = new int[3][w * h];
    Raster raster = img.getRaster();
    boolean gray8 =
        img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
            && raster.getSampleModel().getSampleSize(0) <= 8;
    if (gray8) {
      // getRGB would pass gray through a colour-space conversion and change the values;
      // Pillow copies the gray level into all three channels.
      int[] g = raster.getSamples(0, 0, w, h, 0, (int[]) null);
      int shift = 8 - raster.getSampleModel().getSampleSize(0);
      for (int i = 0; i < g.length; i++) {
        int v = shift == 0 ? g[i] : g[i] * 255 / ((1 << (8 - shift)) - 1);
        p[0][i] = v;
        p[1][i] = v;
        p[2][i] = v;
      }
    } else {
      int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
      for (int i = 0; i < argb.length; i++) {
        p[0][i] = (argb[i] >> 16) & 0xff;
        p[1][i] = (argb[i] >> 8) & 0xff;
        p[2][i] = argb[i] & 0xff;
      }
    }
    return new RgbImage(w, h, p);
  }

  private static String oneLine(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replace('\n', ' ');
  }
}
