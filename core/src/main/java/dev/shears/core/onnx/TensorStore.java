package dev.shears.core.onnx;

import dev.shears.core.ShearsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * New values of tensors, by name, kept in a temporary file rather than on the heap: a
 * pruned model is produced one tensor at a time, and holding every new tensor in memory
 * until the end would double the footprint of a multi-gigabyte model. Values are stored
 * exactly as they go into the model (stored layout and element type, little-endian) and are
 * read back as memory-mapped, direct buffers.
 *
 * <p>The file is unlinked as soon as it is opened (the open channel keeps its data), so that
 * nothing is left behind even when the process is killed with SIGKILL. Where a file cannot be
 * deleted while open (Windows), it is deleted on close and on exit instead.
 */
public final class TensorStore implements AutoCloseable {
  private record Region(long offset, int length) {}

  private final Map<String, Region> index = new LinkedHashMap<>();
  private final Path dir;
  private Path file; // null once unlinked
  private FileChannel channel;
  private long end;

  /** A store in the system's temporary folder. */
  public TensorStore() {
    this(null);
  }

  /** A store whose file is created in {@code dir} (null: the system's temporary folder). */
  public TensorStore(Path dir) {
    this.dir = dir;
  }

  private FileChannel channel() throws IOException {
    if (channel == null) {
      Path f = dir == null ? Files.createTempFile("shears-tensors-", ".tmp")
          : Files.createTempFile(dir, "shears-tensors-", ".tmp");
      channel = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
      file = unlink(f);
    }
    return channel;
  }

  /**
   * Deletes a temporary file that is open; returns null when that worked, else the file (which
   * is then deleted on exit).
   */
  public static Path unlink(Path f) {
    try {
      Files.delete(f);
      return null;
    } catch (IOException | RuntimeException e) {
      f.toFile().deleteOnExit();
      return f;
    }
  }

  /** Stores (or replaces) a tensor's bytes. */
  public synchronized void put(String name, ByteBuffer bytes) {
    try {
      FileChannel ch = channel();
      ByteBuffer b = bytes.duplicate();
      int length = b.remaining();
      long offset = end;
      long pos = offset;
      while (b.hasRemaining()) {
        pos += ch.write(b, pos);
      }
      end = pos;
      index.put(name, new Region(offset, length));
    } catch (IOException e) {
      throw new ShearsException("cannot store pruned tensor '" + name + "' in a temporary file: " + e.getMessage(), e);
    }
  }

  /**
   * The stored bytes, little-endian and read-only, or {@code null} when the tensor is not here.
   * Each call maps the region anew; the caller may {@link Buffers#release} it when done.
   */
  public synchronized ByteBuffer get(String name) {
    Region r = index.get(name);
    if (r == null) {
      return null;
    }
    try {
      return channel.map(FileChannel.MapMode.READ_ONLY, r.offset(), r.length()).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new ShearsException("cannot read pruned tensor '" + name + "' back: " + e.getMessage(), e);
    }
  }

  public synchronized boolean contains(String name) {
    return index.containsKey(name);
  }

  public synchronized Set<String> names() {
    return Set.copyOf(index.keySet());
  }

  @Override
  public synchronized void close() {
    try {
      if (channel != null) {
        channel.close();
        if (file != null) {
          Files.deleteIfExists(file);
        }
      }
    } catch (IOException ignored) {
      // a temporary file: deleteOnExit is the fallback
    }
  }
}
