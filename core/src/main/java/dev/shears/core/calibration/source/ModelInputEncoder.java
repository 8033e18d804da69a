package dev.shears.core.calibration.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shears.core.calibration.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns images and texts into the inputs of an image-text model, with the same side files and the
 * same preprocessing as {@link CaptionsSource}, for callers that choose which images and texts go
 * together (evaluation pairs images with class prompts, for example). Holds a native tokenizer:
 * close it.
 */
public final class ModelInputEncoder implements AutoCloseable {
  private final InputSpec image;
  private final List<InputSpec> textInputs;
  private final ClipImageProcessor processor;
  private final TextEncoder encoder;

  private ModelInputEncoder(
      InputSpec image, List<InputSpec> textInputs, ClipImageProcessor processor, TextEncoder encoder) {
    this.image = image;
    this.textInputs = textInputs;
    this.processor = processor;
    this.encoder = encoder;
  }

  /**
   * Loads the side files the model's inputs need.
   *
   * @param modelDir the folder with {@code preprocessor_config.json} and {@code tokenizer.json}
   * @param inputs the model inputs: one float image input of rank 4 and/or {@code input_ids}
   *     (with {@code attention_mask}, {@code token_type_ids})
   * @throws CalibrationDataException when a side file is missing or an input cannot be fed
   */
  public static ModelInputEncoder open(Path modelDir, List<InputSpec> inputs) throws IOException {
    Path dir = Files.isRegularFile(modelDir) ? modelDir.toAbsolutePath().getParent() : modelDir;
    InputSpec image = null;
    InputSpec ids = null;
    List<InputSpec> text = new java.util.ArrayList<>();
    for (InputSpec s : inputs) {
      switch (s.name()) {
        case "input_ids" -> {
          ids = s;
          text.add(s);
        }
        case "attention_mask", "token_type_ids" -> text.add(s);
        default -> {
          if (s.type() == HostTensor.ElementType.FLOAT && s.rank() == 4 && image == null) {
            image = s;
          } else {
            throw new CalibrationDataException(
                "model input " + s + ": evaluation feeds images and texts only");
          }
        }
      }
    }
    ClipImageProcessor processor = null;
    if (image != null) {
      Path p = dir.resolve("preprocessor_config.json");
      if (!Files.isRegularFile(p)) {
        throw new CalibrationDataException(
            dir + ": model input " + image.name() + " needs preprocessor_config.json beside the model"
                + " (give --model-dir DIR, the folder the model came from with its side files)");
      }
      processor = ClipImageProcessor.load(p);
    }
    TextEncoder encoder = null;
    if (ids != null) {
      Path tokFile = dir.resolve("tokenizer.json");
      if (!Files.isRegularFile(tokFile)) {
        throw new CalibrationDataException(
            dir + ": model input " + ids.name() + " needs tokenizer.json beside the model"
                + " (give --model-dir DIR, the folder the model came from with its side files)");
      }
      JsonNode tokJson = TextEncoder.readJson(tokFile);
      JsonNode tokConfig = TextEncoder.readJson(dir.resolve("tokenizer_config.json"));
      String pad =
          TextEncoder.padToken(tokConfig, TextEncoder.readJson(dir.resolve("special_tokens_map.json")));
      TextLength length =
          TextLength.decide(tokJson, TextEncoder.readJson(dir.resolve("config.json")), tokConfig, ids, dir);
      encoder = TextEncoder.load(tokFile, tokJson, length.length(), pad);
    }
    return new ModelInputEncoder(image, List.copyOf(text), processor, encoder);
  }

  /** The image input, or {@code null} for a text-only model. */
  public String imageInput() {
    return image == null ? null : image.name();
  }

  /** Whether the model takes texts. */
  public boolean hasText() {
    return encoder != null;
  }

  /** Decodes and preprocesses images into one {@code [n, 3, h, w]} tensor. */
  public HostTensor images(List<Path> files) {
    float[] data = null;
    int h = 0;
    int w = 0;
    for (int i = 0; i < files.size(); i++) {
      String where = files.get(i).toString();
      ClipImageProcessor.Output out = processor.process(RgbImage.read(files.get(i), where), where);
      if (data == null) {
        h = out.height();
        w = out.width();
        data = new float[files.size() * 3 * h * w];
      } else if (out.height() != h || out.width() != w) {
        throw new CalibrationDataException(
            where + ": image preprocesses to " + out.height() + "x" + out.width()
                + ", others in its batch to " + h + "x" + w);
      }
      System.arraycopy(out.chw(), 0, data, i * 3 * h * w, 3 * h * w);
    }
    return HostTensor.of(image.name(), new long[] {files.size(), 3, h, w}, data);
  }

  /** Tokenizes texts into the model's text inputs, each {@code [n, length]}. */
  public Map<String, HostTensor> texts(List<String> texts) {
    TextEncoder.Encoded enc = encoder.encode(texts);
    long[] shape = {texts.size(), encoder.length()};
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (InputSpec s : textInputs) {
      long[] v = switch (s.name()) {
        case "input_ids" -> enc.inputIds();
        case "attention_mask" -> enc.attentionMask();
        default -> enc.tokenTypeIds();
      };
      out.put(s.name(), HostTensor.of(s.name(), shape, v));
    }
    return out;
  }

  @Override
  public void close() {
    if (encoder != null) {
      encoder.close();
    }
  }
}
