package dev.shears.core.calibration.source;

import dev.shears.core.calibration.CalibrationSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Opens the calibration source for a folder, picking its format. */
public final class CalibrationSources {
  private CalibrationSources() {}

  /** Calibration data formats. */
  public enum Format {
    /**
     * {@link #NPY} when the folder holds a {@code .npy} file for a model input, else {@link
     * #CAPTIONS}.
     */
    AUTO,
    /** One {@code <input name>.npy} per model input: {@link NpySource}. */
    NPY,
    /** {@code captions.jsonl} with images and texts: {@link CaptionsSource}. */
    CAPTIONS
  }

  /**
   * Opens a calibration folder.
   *
   * <p>With {@link Format#AUTO}, a folder holding both {@code .npy} tensors for the model and a
   * {@code captions.jsonl} uses the tensors (they are exactly the model inputs, no preprocessing to
   * get wrong), and {@link CalibrationSource#describe()} says the captions were ignored.
   *
   * @param calib the calibration folder (for {@link Format#CAPTIONS} also a {@code .jsonl} file)
   * @param modelDir the model's folder, or the model file, where side files such as {@code
   *     tokenizer.json} and {@code preprocessor_config.json} lie
   * @param format the format, or {@link Format#AUTO}
   * @param maxSamples use at most this many samples, the first ones in file order; {@code 0} or
   *     less for all
   * @param inputs the model inputs, in the model's order
   * @throws CalibrationDataException when the folder is missing, empty, or its data does not fit
   *     the model
   */
  public static CalibrationSource open(
      Path calib, Path modelDir, Format format, int maxSamples, List<InputSpec> inputs)
      throws IOException {
    boolean isJsonl = Files.isRegularFile(calib) && calib.toString().endsWith(".jsonl");
    if (!Files.isDirectory(calib) && !isJsonl) {
      throw new CalibrationDataException(calib + ": no such calibration folder");
    }
    return switch (format) {
      case NPY -> NpySource.open(calib, inputs, maxSamples);
      case CAPTIONS -> CaptionsSource.open(calib, modelDir, inputs, maxSamples);
      case AUTO -> auto(calib, modelDir, maxSamples, inputs, isJsonl);
    };
  }

  private static CalibrationSource auto(
      Path calib, Path modelDir, int maxSamples, List<InputSpec> inputs, boolean isJsonl)
      throws IOException {
    if (isJsonl) {
      return CaptionsSource.open(calib, modelDir, inputs, maxSamples);
    }
    boolean npy =
        inputs.stream().anyMatch(s -> Files.isRegularFile(calib.resolve(s.name() + ".npy")));
    boolean captions = Files.isRegularFile(calib.resolve("captions.jsonl"));
    if (npy) {
      NpySource src = NpySource.open(calib, inputs, maxSamples);
      return captions ? new Described(src, " (captions.jsonl ignored: the .npy tensors win)") : src;
    }
    if (captions) {
      return CaptionsSource.open(calib, modelDir, inputs, maxSamples);
    }
    try (Stream<Path> files = Files.list(calib)) {
      String names = String.join(", ", inputs.stream().map(s -> s.name() + ".npy").toList());
      throw new CalibrationDataException(
          calib
              + (files.findAny().isPresent() ? ": no calibration data" : ": folder is empty")
              + " (expected "
              + names
              + " or captions.jsonl)");
    }
  }

  /** A source whose description carries a note on how it was chosen. */
  private record Described(CalibrationSource source, String note) implements CalibrationSource {
    @Override
    public String describe() {
      return source.describe() + note;
    }

    @Override
    public List<String> inputNames() {
      return source.inputNames();
    }

    @Override
    public int sampleCount() {
      return source.sampleCount();
    }

    @Override
    public BatchReader open(int batchSize) throws IOException {
      return source.open(batchSize);
    }
  }
}
