package dev.shears.core.calibration.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns an RGB image into {@code pixel_values} the way Hugging Face's {@code CLIPImageProcessor}
 * does, driven by a {@code preprocessor_config.json}: resize (shortest edge, or an exact height and
 * width) with Pillow-compatible bicubic resampling, center crop (padding with black when the image
 * is smaller), rescale, normalize, channels first, float32.
 *
 * <p>Also reads the standard variants: {@code size} as an int, {@code {"shortest_edge"}} or
 * {@code {"height", "width"}}; {@code do_center_crop} false, or {@code crop_size} absent (no crop);
 * {@code BlipImageProcessor} and {@code ViTImageProcessor} files (by {@code image_processor_type}),
 * which resize straight to {@code size} (an int meaning a square), never crop, and have their own
 * defaults (BLIP: 384 × 384, bicubic, CLIP statistics; ViT: 224 × 224, bilinear, mean and std 0.5).
 *
 * <p>Arithmetic follows transformers: rescale in double then rounded to float, normalize in float,
 * so that the result matches Python to float rounding.
 */
public final class ClipImageProcessor {
  private static final int PIL_BICUBIC = BicubicResize.PIL_BICUBIC;
  private static final int PIL_BILINEAR = BicubicResize.PIL_BILINEAR;
  private static final float[] HALF = {0.5f, 0.5f, 0.5f};
  // OpenAI CLIP's statistics, the transformers defaults for CLIPImageProcessor.
  private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
  private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

  private final boolean doResize;
  private final int shortestEdge; // > 0: shortest-edge resize; else exact resizeH x resizeW
  private final int resizeH;
  private final int resizeW;
  private final int resample;
  private final boolean doCrop;
  private final int cropH;
  private final int cropW;
  private final boolean doRescale;
  private final double rescaleFactor;
  private final boolean doNormalize;
  private final float[] mean;
  private final float[] std;

  private ClipImageProcessor(JsonNode c, Path file) {
    String type = c.path("image_processor_type").asText("CLIPImageProcessor");
    boolean blip = type.equals("BlipImageProcessor");
    boolean vit = type.equals("ViTImageProcessor");
    boolean square = blip || vit; // an int size is a square, resized to exactly, never cropped
    doResize = c.path("do_resize").asBoolean(true);
    JsonNode size = c.path("size");
    if (size.isMissingNode() || size.isNull()) {
      size = c.path("shortest_edge"); // some old CLIP files
      if (size.isMissingNode() && square) {
        size = com.fasterxml.jackson.databind.node.IntNode.valueOf(blip ? 384 : 224);
      } else if (size.isMissingNode()) {
        size = com.fasterxml.jackson.databind.node.IntNode.valueOf(224); // transformers' CLIP default
      }
    }
    if (size.isInt() && square) {
      shortestEdge = 0;
      resizeH = resizeW = size.asInt();
    } else if (size.isInt()) {
      shortestEdge = size.asInt();
      resizeH = resizeW = 0;
    } else if (size.has("shortest_edge")) {
      shortestEdge = size.get("shortest_edge").asInt();
      resizeH = resizeW = 0;
    } else if (size.has("height") && size.has("width")) {
      shortestEdge = 0;
      resizeH = size.get("height").asInt();
      resizeW = size.get("width").asInt();
    } else if (doResize) {
      throw new CalibrationDataException(file + ": 'size' needs shortest_edge or height and width");
    } else {
      shortestEdge = resizeH = resizeW = 0;
    }
    resample = c.path("resample").asInt(vit ? PIL_BILINEAR : PIL_BICUBIC);
    JsonNode crop = c.path("crop_size");
    // absent crop_size: no crop (the image keeps the resized size)
    doCrop = !square && c.path("do_center_crop").asBoolean(true) && !crop.isMissingNode() && !crop.isNull();
    if (!doCrop) {
      cropH = cropW = 0;
    } else if (crop.isInt()) {
      cropH = cropW = crop.asInt();
    } else if (crop.has("height") && crop.has("width")) {
      cropH = crop.get("height").asInt();
      cropW = crop.get("width").asInt();
    } else {
      throw new CalibrationDataException(file + ": 'crop_size' needs height and width");
    }
    doRescale = c.path("do_rescale").asBoolean(true);
    rescaleFactor = c.path("rescale_factor").asDouble(1 / 255.0);
    doNormalize = c.path("do_normalize").asBoolean(true);
    mean = triple(c.get("image_mean"), vit ? HALF : CLIP_MEAN, file, "image_mean");
    std = triple(c.get("image_std"), vit ? HALF : CLIP_STD, file, "image_std");
    if ((doResize && shortestEdge <= 0 && (resizeH <= 0 || resizeW <= 0))
        || (doCrop && (cropH <= 0 || cropW <= 0))) {
      throw new CalibrationDataException(file + ": image sizes must be positive");
    }
  }

  /** Reads a {@code preprocessor_config.json}; absent keys take transformers' CLIP defaults. */
  public static ClipImageProcessor load(Path preprocessorConfig) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(preprocessorConfig.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new CalibrationDataException(
          preprocessorConfig + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    if (root == null || !root.isObject()) {
      throw new CalibrationDataException(preprocessorConfig + ": not a JSON object");
    }
    return new ClipImageProcessor(root, preprocessorConfig);
  }

  private static float[] triple(JsonNode n, float[] dflt, Path file, String key) {
    if (n == null || n.isNull()) {
      return dflt.clone();
    }
    if (n.isNumber()) {
      float v = n.floatValue();
      return new float[] {v, v, v};
    }
    if (!n.isArray() || n.size() != 3) {
      throw new CalibrationDataException(file + ": '" + key + "' needs 3 values");
    }
    return new float[] {n.get(0).floatValue(), n.get(1).floatValue(), n.get(2).floatValue()};
  }

  /**
   * The height and width of every output, or {@code null} when it depends on the image (no center
   * crop and a shortest-edge resize).
   */
  public int[] outputSize() {
    if (doCrop) {
      return new int[] {cropH, cropW};
    }
    if (doResize && shortestEdge == 0) {
      return new int[] {resizeH, resizeW};
    }
    return null;
  }

  /**
   * Preprocesses one image.
   *
   * @param where file and line for error messages
   * @return the image as {@code [3, height, width]} floats, channels first
   */
  Output process(RgbImage img, String where) {
    int[][] planes = img.planes();
    int h = img.height();
    int w = img.width();
    if (doResize) {
      int[] hw = resizeTarget(h, w);
      if (hw[0] != h || hw[1] != w) {
        if (resample != PIL_BICUBIC && resample != PIL_BILINEAR) {
          throw new CalibrationDataException(
              where
                  + ": resample "
                  + resample
                  + " is not supported, only 2 (bilinear) and 3 (bicubic); "
                  + "resize the images to "
                  + hw[1]
                  + "x"
                  + hw[0]
                  + " beforehand");
        }
        int[][] resized = new int[3][];
        for (int c = 0; c < 3; c++) {
          resized[c] = BicubicResize.resize(planes[c], w, h, hw[1], hw[0], resample);
        }
        planes = resized;
        h = hw[0];
        w = hw[1];
      }
    }
    int outH = h;
    int outW = w;
    int top = 0;
    int left = 0;
    if (doCrop) {
      // transformers' center_crop: floor-divided offset, black padding if the image is smaller.
      outH = cropH;
      outW = cropW;
      top = Math.floorDiv(h - cropH, 2);
      left = Math.floorDiv(w - cropW, 2);
      // When the image is smaller, transformers pads it with zeros (centred, odd pixel at the
      // start) and crops the padded image; in image coordinates that is the same offset with
      // pixels outside the image reading as 0.
    }
    float[] out = new float[3 * outH * outW];
    for (int c = 0; c < 3; c++) {
      int[] p = planes[c];
      for (int y = 0; y < outH; y++) {
        int sy = y + top;
        for (int x = 0; x < outW; x++) {
          int sx = x + left;
          int v = sy >= 0 && sy < h && sx >= 0 && sx < w ? p[sy * w + sx] : 0;
          out[(c * outH + y) * outW + x] = value(v, c);
        }
      }
    }
    return new Output(outH, outW, out);
  }

  /** One preprocessed image. */
  record Output(int height, int width, float[] chw) {}

  private float value(int v, int c) {
    float f = doRescale ? (float) (v * rescaleFactor) : v;
    if (doNormalize) {
      f = (f - mean[c]) / std[c];
    }
    return f;
  }

  /** transformers' get_resize_output_image_size with default_to_square=False. */
  private int[] resizeTarget(int h, int w) {
    if (shortestEdge <= 0) {
      return new int[] {resizeH, resizeW};
    }
    int shortSide = Math.min(h, w);
    int longSide = Math.max(h, w);
    int newLong = (int) ((double) shortestEdge * longSide / shortSide);
    return w <= h ? new int[] {newLong, shortestEdge} : new int[] {shortestEdge, newLong};
  }
}
