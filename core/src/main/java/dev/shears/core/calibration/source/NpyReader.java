package dev.shears.core.calibration.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a {@code .npy} file a slice of rows at a time, so that only the rows asked for are in
 * memory. Supports format versions 1.0, 2.0 and 3.0, C order, little-endian {@code <f4}, {@code
 * <f8}, {@code <i8}, {@code <i4} and single-byte {@code |u1}, {@code |b1}.
 *
 * <p>The header is validated when the file is opened, including that the file is long enough for
 * the declared shape, so a truncated file fails before anything is allocated for it.
 */
public final class NpyReader implements AutoCloseable {
  private final Path file;
  private final FileChannel channel;
  private final NpyHeader header;

  private NpyReader(Path file, FileChannel channel, NpyHeader header) {
    this.file = file;
    this.channel = channel;
    this.header = header;
  }

  /**
   * Opens a file and validates its header.
   *
   * @throws CalibrationDataException when the file is missing, not a supported {@code .npy} or
   *     shorter than its header declares
   */
  public static NpyReader open(Path file) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new CalibrationDataException(file + ": no such file");
    }
    try {
      return new NpyReader(file, ch, NpyHeader.read(ch, file));
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** The file this reader reads. */
  public Path file() {
    return file;
  }

  /** The element type. */
  public NpyDtype dtype() {
    return header.dtype();
  }

  /** The array shape (a copy). */
  public long[] shape() {
    return header.shape().clone();
  }

  /** The size of axis 0. */
  public long rows() {
    return header.shape()[0];
  }

  /**
   * Reads rows {@code [from, to)} along axis 0 as floats, converting from the stored type. Doubles
   * are rounded to the nearest float, as numpy's {@code astype(float32)} does.
   */
  public float[] readFloats(long from, long to) throws IOException {
    ByteBuffer b = readRaw(from, to);
    float[] out = new float[b.remaining() / dtype().itemSize()];
    switch (dtype()) {
      case FLOAT32 -> b.asFloatBuffer().get(out);
      case FLOAT64 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) b.getDouble();
        }
      }
      case INT64 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getLong();
        }
      }
      case INT32 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getInt();
        }
      }
      case UINT8, BOOL -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.get() & 0xff;
        }
      }
    }
    return out;
  }

  /**
   * Reads rows {@code [from, to)} along axis 0 as longs, widening from the stored integer type.
   *
   * @throws IllegalStateException when the file holds floating-point values
   */
  public long[] readLongs(long from, long to) throws IOException {
    if (dtype().isFloating()) {
      throw new IllegalStateException(file + " holds " + dtype().descr() + ", not integers");
    }
    ByteBuffer b = readRaw(from, to);
    long[] out = new long[b.remaining() / dtype().itemSize()];
    switch (dtype()) {
      case INT64 -> b.asLongBuffer().get(out);
      case INT32 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.getInt();
        }
      }
      case UINT8, BOOL -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = b.get() & 0xff;
        }
      }
      default -> throw new AssertionError(dtype());
    }
    return out;
  }

  private ByteBuffer readRaw(long from, long to) throws IOException {
    if (from < 0 || to < from || to > rows()) {
      throw new IndexOutOfBoundsException(
          "rows [" + from + ", " + to + ") of " + rows() + " in " + file);
    }
    long rowBytes = header.rowElements() * dtype().itemSize();
    long bytes = (to - from) * rowBytes;
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new CalibrationDataException(
          file
              + ": rows ["
              + from
              + ", "
              + to
              + ") are "
              + bytes
              + " bytes, too many for one batch");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    NpyHeader.readFully(channel, buf, header.dataOffset() + from * rowBytes);
    if (buf.hasRemaining()) {
      // The length was checked at open; the file must have shrunk since.
      throw new CalibrationDataException(file + ": file ended early while reading rows");
    }
    return buf.flip();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
