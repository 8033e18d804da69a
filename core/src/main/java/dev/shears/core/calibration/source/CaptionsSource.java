package dev.shears.core.calibration.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.HostTensor.ElementType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Image-caption pairs from a {@code captions.jsonl} (see the line format in the class comment of
 * {@code CaptionsFile}: {@code {"image": "rel/path.png", "text": "..."}}), turned into model inputs
 * with the model's own side files: {@code preprocessor_config.json} for {@code pixel_values}
 * ({@link ClipImageProcessor}) and {@code tokenizer.json} for {@code input_ids}, {@code
 * attention_mask} and {@code token_type_ids} ({@link TextLength} says how long the token sequences
 * are).
 *
 * <p>Every batch must feed every model input, so each line must carry what the model needs: a model
 * with an image input needs an image on every line, a model with text inputs a text on every line.
 * A line lacking one is an error naming the line (mixing image-only and text-only lines for a
 * two-tower model is refused rather than padded with made-up data). A field the model has no input
 * for is ignored, so a captions file also calibrates a vision-only or text-only model.
 *
 * <p>Images are decoded and tokenized one batch at a time; only the caption lines (paths and
 * strings) are kept for the whole set.
 */
public final class CaptionsSource implements CalibrationSource {
  private final Path file;
  private final List<InputSpec> inputs;
  private final List<CaptionsFile.Entry> entries;
  private final InputSpec image;
  private final ClipImageProcessor processor;
  private final Path tokenizerFile;
  private final JsonNode tokenizerJson;
  private final String padToken;
  private final TextLength textLength;

  private CaptionsSource(
      Path file,
      List<InputSpec> inputs,
      List<CaptionsFile.Entry> entries,
      InputSpec image,
      ClipImageProcessor processor,
      Path tokenizerFile,
      JsonNode tokenizerJson,
      String padToken,
      TextLength textLength) {
    this.file = file;
    this.inputs = inputs;
    this.entries = entries;
    this.image = image;
    this.processor = processor;
    this.tokenizerFile = tokenizerFile;
    this.tokenizerJson = tokenizerJson;
    this.padToken = padToken;
    this.textLength = textLength;
  }

  /**
   * Reads the caption lines and the model's side files and checks them against the model.
   *
   * @param captions a {@code .jsonl} file, or a folder holding {@code captions.jsonl}
   * @param modelDir the folder with {@code preprocessor_config.json}, {@code tokenizer.json} and
   *     optionally {@code config.json}, {@code tokenizer_config.json}, {@code
   *     special_tokens_map.json}; or the model file, whose folder is used
   * @param inputs the model inputs, in the model's order
   * @param maxSamples use at most this many lines, the first ones; {@code 0} or less for all
   * @throws CalibrationDataException when a line, an image path or a side file is unusable or the
   *     model has an input captions cannot feed
   */
  public static CaptionsSource open(
      Path captions, Path modelDir, List<InputSpec> inputs, int maxSamples) throws IOException {
    Path file = Files.isDirectory(captions) ? captions.resolve("captions.jsonl") : captions;
    if (!Files.isRegularFile(file)) {
      throw new CalibrationDataException(file + ": no such file");
    }
    Path dir = Files.isRegularFile(modelDir) ? modelDir.toAbsolutePath().getParent() : modelDir;
    InputSpec image = null;
    InputSpec ids = null;
    for (InputSpec s : inputs) {
      switch (s.name()) {
        case "input_ids" -> ids = s;
        case "attention_mask", "token_type_ids" -> checkText(s);
        default -> {
          if (s.type() == ElementType.FLOAT && s.rank() == 4 && image == null) {
            image = s;
          } else {
            throw new CalibrationDataException(
                file
                    + ": captions cannot feed model input "
                    + s
                    + "; give the calibration data as .npy tensors");
          }
        }
      }
    }
    if (ids != null) {
      checkText(ids);
    } else if (inputs.stream()
        .anyMatch(s -> s.name().equals("attention_mask") || s.name().equals("token_type_ids"))) {
      throw new CalibrationDataException(
          file + ": the model takes a mask or token types but no input_ids");
    }
    List<CaptionsFile.Entry> entries = CaptionsFile.read(file, maxSamples);
    if (entries.isEmpty()) {
      throw new CalibrationDataException(file + ": no caption lines");
    }
    for (CaptionsFile.Entry e : entries) {
      String where = file + ":" + e.line();
      if (image != null && e.image() == null) {
        throw new CalibrationDataException(
            where
                + ": line has no \"image\", but model input "
                + image.name()
                + " needs one for every sample");
      }
      if (ids != null && e.text() == null) {
        throw new CalibrationDataException(
            where
                + ": line has no \"text\", but model input "
                + ids.name()
                + " needs one for every sample");
      }
      if (image != null && !Files.isRegularFile(e.image())) {
        throw new CalibrationDataException(where + ": image " + e.image() + " not found");
      }
    }
    ClipImageProcessor processor = null;
    if (image != null) {
      processor = ClipImageProcessor.load(sideFile(dir, "preprocessor_config.json", image));
      checkImageSpec(image, processor, dir);
    }
    Path tokFile = null;
    JsonNode tokJson = null;
    String pad = null;
    TextLength length = null;
    if (ids != null) {
      tokFile = sideFile(dir, "tokenizer.json", ids);
      tokJson = TextEncoder.readJson(tokFile);
      JsonNode tokConfig = TextEncoder.readJson(dir.resolve("tokenizer_config.json"));
      pad =
          TextEncoder.padToken(
              tokConfig, TextEncoder.readJson(dir.resolve("special_tokens_map.json")));
      length =
          TextLength.decide(
              tokJson, TextEncoder.readJson(dir.resolve("config.json")), tokConfig, ids, dir);
      // Load once now so that a broken tokenizer fails here rather than mid-calibration.
      TextEncoder.load(tokFile, tokJson, length.length(), pad).close();
    }
    return new CaptionsSource(
        file,
        List.copyOf(inputs),
        List.copyOf(entries),
        image,
        processor,
        tokFile,
        tokJson,
        pad,
        length);
  }

  private static Path sideFile(Path dir, String name, InputSpec forInput) {
    Path p = dir.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new CalibrationDataException(
          dir + ": model input " + forInput.name() + " needs " + name + " beside the model"
              + " (give --model-dir DIR, the folder the model came from with its side files)");
    }
    return p;
  }

  private static void checkText(InputSpec s) {
    if (s.type() != ElementType.INT64 || s.rank() != 2) {
      throw new CalibrationDataException(
          "model input " + s + ": captions produce int64 [batch, sequence] token tensors");
    }
  }

  private static void checkImageSpec(InputSpec image, ClipImageProcessor p, Path dir) {
    if (image.isStatic(1) && image.dim(1) != 3) {
      throw new CalibrationDataException(
          "model input " + image + ": captions produce RGB images, 3 channels");
    }
    int[] hw = p.outputSize();
    if (hw != null
        && (image.isStatic(2) && image.dim(2) != hw[0]
            || image.isStatic(3) && image.dim(3) != hw[1])) {
      throw new CalibrationDataException(
          dir.resolve("preprocessor_config.json")
              + ": produces "
              + hw[0]
              + "x"
              + hw[1]
              + " images but model input "
              + image
              + " needs "
              + image.dim(2)
              + "x"
              + image.dim(3));
    }
  }

  @Override
  public String describe() {
    String what =
        image != null && textLength != null
            ? "image-text pairs"
            : image != null ? "images" : "texts";
    String text =
        textLength == null
            ? ""
            : ", " + textLength.length() + " tokens (from " + textLength.from() + ")";
    return entries.size() + " " + what + " from " + file + text;
  }

  @Override
  public List<String> inputNames() {
    return inputs.stream().map(InputSpec::name).toList();
  }

  @Override
  public int sampleCount() {
    return entries.size();
  }

  @Override
  public BatchReader open(int batchSize) throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize);
    }
    TextEncoder encoder =
        textLength == null
            ? null
            : TextEncoder.load(tokenizerFile, tokenizerJson, textLength.length(), padToken);
    return new Reader(encoder, batchSize);
  }

  /** One pass: decodes the images and tokenizes the texts of one batch per call. */
  private final class Reader implements BatchReader {
    private final TextEncoder encoder;
    private final int batchSize;
    private int next;
    private int index;

    Reader(TextEncoder encoder, int batchSize) {
      this.encoder = encoder;
      this.batchSize = batchSize;
    }

    @Override
    public CalibrationBatch next() {
      if (next >= entries.size()) {
        return null;
      }
      List<CaptionsFile.Entry> batch =
          entries.subList(next, Math.min(entries.size(), next + batchSize));
      int n = batch.size();
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      if (image != null) {
        tensors.put(image.name(), pixels(batch));
      }
      if (encoder != null) {
        List<String> texts = new ArrayList<>(n);
        for (CaptionsFile.Entry e : batch) {
          texts.add(e.text());
        }
        TextEncoder.Encoded enc = encoder.encode(texts);
        long[] shape = {n, encoder.length()};
        for (InputSpec s : inputs) {
          switch (s.name()) {
            case "input_ids" ->
                tensors.put(s.name(), HostTensor.of(s.name(), shape, enc.inputIds()));
            case "attention_mask" ->
                tensors.put(s.name(), HostTensor.of(s.name(), shape, enc.attentionMask()));
            case "token_type_ids" ->
                tensors.put(s.name(), HostTensor.of(s.name(), shape, enc.tokenTypeIds()));
            default -> {}
          }
        }
      }
      next += n;
      return new CalibrationBatch(index++, n, tensors);
    }

    private HostTensor pixels(List<CaptionsFile.Entry> batch) {
      float[] data = null;
      int h = 0;
      int w = 0;
      for (int i = 0; i < batch.size(); i++) {
        CaptionsFile.Entry e = batch.get(i);
        String where = file + ":" + e.line();
        ClipImageProcessor.Output out = processor.process(RgbImage.read(e.image(), where), where);
        if (data == null) {
          h = out.height();
          w = out.width();
          if (image.isStatic(2) && image.dim(2) != h || image.isStatic(3) && image.dim(3) != w) {
            throw new CalibrationDataException(
                where
                    + ": image preprocesses to "
                    + h
                    + "x"
                    + w
                    + ", model input "
                    + image
                    + " needs "
                    + image.dim(2)
                    + "x"
                    + image.dim(3));
          }
          data = new float[batch.size() * 3 * h * w];
        } else if (out.height() != h || out.width() != w) {
          throw new CalibrationDataException(
              where
                  + ": image preprocesses to "
                  + out.height()
                  + "x"
                  + out.width()
                  + ", others in its batch to "
                  + h
                  + "x"
                  + w
                  + "; enable center crop or resize the images");
        }
        System.arraycopy(out.chw(), 0, data, i * 3 * h * w, 3 * h * w);
      }
      return HostTensor.of(image.name(), new long[] {batch.size(), 3, h, w}, data);
    }

    @Override
    public void close() {
      if (encoder != null) {
        encoder.close();
      }
    }
  }
}
