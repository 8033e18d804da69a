package dev.shears.core.calibration.source;

/**
 * Bicubic (or bilinear, {@link #resize(int[], int, int, int, int, int)}) resize of 8-bit channels that reproduces Pillow's {@code Image.resize(size,
 * Image.BICUBIC)}, which Hugging Face image processors call: a separable filter with {@code a =
 * -0.5}, support widened by the scale factor when downsampling (antialiasing), weights normalised
 * per output pixel and applied in Pillow's 22-bit fixed point, horizontal pass first with the
 * intermediate image rounded and clipped to 8 bits. Matching Pillow bit for bit matters because
 * calibration statistics should see the pixels the model saw in training.
 */
final class BicubicResize {
  private static final int PRECISION_BITS = 32 - 8 - 2;
  /** Pillow's resampling constants. */
  static final int PIL_BILINEAR = 2;
  static final int PIL_BICUBIC = 3;

  private BicubicResize() {}

  /**
   * Resizes one channel.
   *
   * @param src row-major values in {@code 0..255}, {@code width * height} of them
   * @return row-major values in {@code 0..255}, {@code newWidth * newHeight} of them; a copy of
   *     {@code src} when the size does not change
   */
  static int[] resize(int[] src, int width, int height, int newWidth, int newHeight) {
    return resize(src, width, height, newWidth, newHeight, PIL_BICUBIC);
  }

  /**
   * Resizes one channel with Pillow's filter {@code resample}: 2 (bilinear, a triangle of
   * support 1) or 3 (bicubic, support 2), both antialiased the same way when downsampling.
   */
  static int[] resize(int[] src, int width, int height, int newWidth, int newHeight, int resample) {
    if (resample != PIL_BILINEAR && resample != PIL_BICUBIC) {
      throw new IllegalArgumentException("resample " + resample);
    }
    if (src.length != width * height || newWidth < 1 || newHeight < 1) {
      throw new IllegalArgumentException(
          "resize " + width + "x" + height + " -> " + newWidth + "x" + newHeight);
    }
    int[] img = src.clone();
    int w = width;
    if (newWidth != width) {
      img = pass(img, w, height, newWidth, true, resample);
      w = newWidth;
    }
    if (newHeight != height) {
      img = pass(img, w, height, newHeight, false, resample);
    }
    return img;
  }

  static double filter(double x) {
    final double a = -0.5;
    x = Math.abs(x);
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  static double bilinearFilter(double x) {
    x = Math.abs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
  }

  /** One 1-D pass along rows ({@code horizontal}) or columns. */
  private static int[] pass(int[] in, int w, int h, int outSize, boolean horizontal, int resample) {
    int inSize = horizontal ? w : h;
    Coeffs c = Coeffs.of(inSize, outSize, resample);
    int outW = horizontal ? outSize : w;
    int outH = horizontal ? h : outSize;
    int[] out = new int[outW * outH];
    int lines = horizontal ? h : w;
    int step = horizontal ? 1 : w; // distance between neighbours along the filtered axis
    for (int line = 0; line < lines; line++) {
      int lineStart = horizontal ? line * w : line;
      for (int o = 0; o < outSize; o++) {
        int min = c.bounds[2 * o];
        int count = c.bounds[2 * o + 1];
        int base = o * c.ksize;
        // int arithmetic on purpose: Pillow accumulates in a 32-bit int with this rounding bias.
        int ss = 1 << (PRECISION_BITS - 1);
        for (int k = 0; k < count; k++) {
          ss += in[lineStart + (min + k) * step] * c.kk[base + k];
        }
        int idx = horizontal ? line * outW + o : o * outW + line;
        out[idx] = clip8(ss);
      }
    }
    return out;
  }

  private static int clip8(int v) {
    if (v >= (1 << PRECISION_BITS << 8)) {
      return 255;
    }
    if (v <= 0) {
      return 0;
    }
    return v >> PRECISION_BITS;
  }

  /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis. */
  private record Coeffs(int ksize, int[] bounds, int[] kk) {
    static Coeffs of(int inSize, int outSize, int resample) {
      boolean bilinear = resample == PIL_BILINEAR;
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(1.0, scale);
      double support = (bilinear ? 1.0 : 2.0) * filterScale;
      int ksize = (int) Math.ceil(support) * 2 + 1;
      int[] bounds = new int[outSize * 2];
      int[] kk = new int[outSize * ksize];
      double[] k = new double[ksize];
      for (int xx = 0; xx < outSize; xx++) {
        double center = (xx + 0.5) * scale;
        double ss = 1.0 / filterScale;
        // (int) truncates toward zero like the C cast Pillow uses.
        int xmin = Math.max(0, (int) (center - support + 0.5));
        int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) {
          double at = (x + xmin - center + 0.5) * ss;
          double wgt = bilinear ? bilinearFilter(at) : filter(at);
          k[x] = wgt;
          ww += wgt;
        }
        for (int x = 0; x < xmax; x++) {
          double v = ww != 0.0 ? k[x] / ww : k[x];
          kk[xx * ksize + x] =
              v < 0
                  ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                  : (int) (0.5 + v * (1 << PRECISION_BITS));
        }
        bounds[2 * xx] = xmin;
        bounds[2 * xx + 1] = xmax;
      }
      return new Coeffs(ksize, bounds, kk);
    }
  }
}
