package dev.shears.core.calibration.source;

import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.HostTensor.ElementType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibration tensors stored as one {@code <input name>.npy} file per model input, row {@code i} of
 * every file being sample {@code i}. Other {@code .npy} files in the folder (e.g. reference
 * outputs) are ignored.
 *
 * <p>Files are checked against the model when the source is opened: element type ({@code <i4},
 * {@code |u1} and {@code |b1} widen to int64, {@code <f8} narrows to float), rank, every fixed
 * dimension after the sample axis, and the same sample count in every file. A missing {@code
 * attention_mask} is filled with ones and a missing {@code token_type_ids} with zeros, the Hugging
 * Face defaults; their symbolic dimensions are taken from {@code input_ids.npy}. Any other missing
 * input is an error.
 *
 * <p>Each pass reads only the rows of the current batch from disk.
 */
public final class NpySource implements CalibrationSource {
  /** Inputs that Hugging Face models fill in themselves when they are not given. */
  private static final Map<String, Integer> DEFAULT_FILL =
      Map.of("attention_mask", 1, "token_type_ids", 0);

  /** Where the sample-shaped values of a filled input come from. */
  private static final String FILL_REFERENCE = "input_ids";

  private final Path dir;
  private final List<Column> columns;
  private final int samples;

  /** How one model input is produced: from a file, or filled with a constant. */
  private sealed interface Column permits FileColumn, FillColumn {
    InputSpec spec();
  }

  /** An input read from a file whose shape was checked at open. */
  private record FileColumn(InputSpec spec, Path file, long[] fileShape) implements Column {}

  /** A missing input filled with a constant; {@code rowShape} is one sample's shape. */
  private record FillColumn(InputSpec spec, long[] rowShape, int value) implements Column {}

  private NpySource(Path dir, List<Column> columns, int samples) {
    this.dir = dir;
    this.columns = columns;
    this.samples = samples;
  }

  /**
   * Opens a folder of {@code .npy} files and checks them against the model inputs.
   *
   * @param dir the folder
   * @param inputs the model inputs, in the model's order
   * @param maxSamples use at most this many samples, the first ones; {@code 0} or less for all
   * @throws CalibrationDataException when a file is malformed, missing or does not fit the model
   */
  public static NpySource open(Path dir, List<InputSpec> inputs, int maxSamples)
      throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CalibrationDataException(dir + ": no such folder");
    }
    Map<String, long[]> fileShapes = new LinkedHashMap<>();
    for (InputSpec spec : inputs) {
      Path file = dir.resolve(spec.name() + ".npy");
      if (Files.isRegularFile(file)) {
        try (NpyReader r = NpyReader.open(file)) {
          checkFits(spec, r);
          fileShapes.put(spec.name(), r.shape());
        }
      }
    }
    if (fileShapes.isEmpty()) {
      throw new CalibrationDataException(
          dir + ": no .npy file for any model input (expected " + expectedFiles(inputs) + ")");
    }
    long rows = checkSameRows(dir, fileShapes);
    List<Column> columns = new ArrayList<>();
    for (InputSpec spec : inputs) {
      long[] shape = fileShapes.get(spec.name());
      if (shape != null) {
        columns.add(new FileColumn(spec, dir.resolve(spec.name() + ".npy"), shape));
      } else if (DEFAULT_FILL.containsKey(spec.name())) {
        columns.add(
            new FillColumn(
                spec, fillRowShape(dir, spec, fileShapes), DEFAULT_FILL.get(spec.name())));
      } else {
        throw new CalibrationDataException(
            dir + ": model input " + spec.name() + " has no file " + spec.name() + ".npy");
      }
    }
    long n = maxSamples > 0 ? Math.min(rows, maxSamples) : rows;
    if (n == 0) {
      throw new CalibrationDataException(dir + ": the .npy files hold no samples");
    }
    if (n > Integer.MAX_VALUE) {
      throw new CalibrationDataException(dir + ": " + rows + " samples is too many");
    }
    return new NpySource(dir, List.copyOf(columns), (int) n);
  }

  private static String expectedFiles(List<InputSpec> inputs) {
    return String.join(", ", inputs.stream().map(s -> s.name() + ".npy").toList());
  }

  /** Checks the element type, rank and fixed dimensions of one file against its input. */
  static void checkFits(InputSpec spec, NpyReader r) {
    NpyDtype dt = r.dtype();
    boolean typeOk = spec.type() == ElementType.FLOAT ? dt.isFloating() : !dt.isFloating();
    if (!typeOk) {
      String accepted = spec.type() == ElementType.FLOAT ? "<f4 or <f8" : "<i8, <i4, |u1 or |b1";
      throw new CalibrationDataException(
          r.file()
              + ": model input "
              + spec.name()
              + " is "
              + spec.type().name().toLowerCase(java.util.Locale.ROOT)
              + " ("
              + accepted
              + "), the file holds "
              + dt.descr());
    }
    long[] shape = r.shape();
    boolean shapeOk = shape.length == spec.rank();
    for (int a = 1; shapeOk && a < shape.length; a++) {
      shapeOk = !spec.isStatic(a) || spec.dim(a) == shape[a];
    }
    if (!shapeOk) {
      throw new CalibrationDataException(
          r.file()
              + ": model input "
              + spec.name()
              + " has shape "
              + spec.shapeString()
              + ", the file holds "
              + InputSpec.formatShape(shape));
    }
  }

  private static long checkSameRows(Path dir, Map<String, long[]> fileShapes) {
    long rows = -1;
    String first = null;
    for (Map.Entry<String, long[]> e : fileShapes.entrySet()) {
      long r = e.getValue()[0];
      if (rows < 0) {
        rows = r;
        first = e.getKey();
      } else if (r != rows) {
        throw new CalibrationDataException(
            dir
                + ": "
                + e.getKey()
                + ".npy has "
                + r
                + " samples but "
                + first
                + ".npy has "
                + rows);
      }
    }
    return rows;
  }

  /** The per-sample shape of a filled input: fixed dims from the model, others from input_ids. */
  private static long[] fillRowShape(Path dir, InputSpec spec, Map<String, long[]> fileShapes) {
    long[] ref = fileShapes.get(FILL_REFERENCE);
    long[] row = new long[spec.rank() - 1];
    for (int a = 1; a < spec.rank(); a++) {
      if (spec.isStatic(a)) {
        row[a - 1] = spec.dim(a);
      } else if (ref != null && ref.length == spec.rank()) {
        row[a - 1] = ref[a];
      } else {
        throw new CalibrationDataException(
            dir
                + ": model input "
                + spec.name()
                + " has no file and its shape "
                + spec.shapeString()
                + " cannot be taken from "
                + FILL_REFERENCE
                + ".npy");
      }
    }
    return row;
  }

  @Override
  public String describe() {
    List<String> filled = new ArrayList<>();
    for (Column c : columns) {
      if (c instanceof FillColumn f) {
        filled.add(f.spec().name() + (f.value() == 0 ? " filled with zeros" : " filled with ones"));
      }
    }
    return samples
        + " samples from "
        + dir
        + "/*.npy"
        + (filled.isEmpty() ? "" : " (" + String.join(", ", filled) + ")");
  }

  @Override
  public List<String> inputNames() {
    return columns.stream().map(c -> c.spec().name()).toList();
  }

  @Override
  public int sampleCount() {
    return samples;
  }

  @Override
  public BatchReader open(int batchSize) throws IOException {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize);
    }
    Map<String, NpyReader> readers = new LinkedHashMap<>();
    try {
      for (Column c : columns) {
        if (c instanceof FileColumn f) {
          NpyReader r = NpyReader.open(f.file());
          readers.put(f.spec().name(), r);
          if (!Arrays.equals(r.shape(), f.fileShape())) {
            throw new CalibrationDataException(f.file() + ": file changed since it was checked");
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      closeAll(readers.values());
      throw e;
    }
    return new Reader(readers, batchSize);
  }

  private static void closeAll(Iterable<NpyReader> readers) throws IOException {
    IOException first = null;
    for (NpyReader r : readers) {
      try {
        r.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** One pass: holds the open files and reads one batch of rows per call. */
  private final class Reader implements BatchReader {
    private final Map<String, NpyReader> readers;
    private final int batchSize;
    private int next;
    private int index;

    Reader(Map<String, NpyReader> readers, int batchSize) {
      this.readers = readers;
      this.batchSize = batchSize;
    }

    @Override
    public CalibrationBatch next() throws IOException {
      if (next >= samples) {
        return null;
      }
      int from = next;
      int to = Math.min(samples, from + batchSize);
      int n = to - from;
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      for (Column c : columns) {
        InputSpec spec = c.spec();
        if (c instanceof FileColumn f) {
          NpyReader r = readers.get(spec.name());
          long[] shape = f.fileShape().clone();
          shape[0] = n;
          tensors.put(
              spec.name(),
              spec.type() == ElementType.FLOAT
                  ? HostTensor.of(spec.name(), shape, r.readFloats(from, to))
                  : HostTensor.of(spec.name(), shape, r.readLongs(from, to)));
        } else {
          FillColumn fill = (FillColumn) c;
          tensors.put(spec.name(), filled(spec, fill, n));
        }
      }
      next = to;
      return new CalibrationBatch(index++, n, tensors);
    }

    @Override
    public void close() throws IOException {
      closeAll(readers.values());
    }
  }

  private static HostTensor filled(InputSpec spec, FillColumn fill, int n) {
    long[] shape = new long[spec.rank()];
    shape[0] = n;
    long count = n;
    for (int a = 1; a < shape.length; a++) {
      shape[a] = fill.rowShape()[a - 1];
      count *= shape[a];
    }
    if (spec.type() == ElementType.FLOAT) {
      float[] v = new float[Math.toIntExact(count)];
      Arrays.fill(v, fill.value());
      return HostTensor.of(spec.name(), shape, v);
    }
    long[] v = new long[Math.toIntExact(count)];
    Arrays.fill(v, fill.value());
    return HostTensor.of(spec.name(), shape, v);
  }
}
