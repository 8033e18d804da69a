package dev.shears.core.onnx;

import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves tensors stored as ONNX external data, relative to the model's folder.
 *
 * <p>Locations come from strangers' files, so they are checked before anything is opened:
 * a location must be relative, stay inside the model's folder after resolving {@code ..}
 * and symbolic links, and the byte range must lie inside the file. Regions are
 * memory-mapped, never copied onto the heap.
 */
final class ExternalData implements AutoCloseable {
  private final Path modelFile;
  private final Path baseDir;
  private final Map<Path, FileChannel> channels = new HashMap<>();

  ExternalData(Path modelFile) {
    this.modelFile = modelFile;
    Path parent = modelFile.toAbsolutePath().getParent();
    this.baseDir = parent;
  }

  /** The location entries of a tensor. */
  record Location(String file, long offset, long length) {}

  static boolean isExternal(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  static Location locationOf(TensorProto t, Path modelFile) {
    String file = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      try {
        switch (e.getKey()) {
          case "location" -> file = e.getValue();
          case "offset" -> offset = Long.parseLong(e.getValue());
          case "length" -> length = Long.parseLong(e.getValue());
          default -> {} // checksum and others: not needed to read
        }
      } catch (NumberFormatException ex) {
        throw new ModelFormatException(modelFile + ": tensor '" + t.getName()
            + "' has a non-numeric external data " + e.getKey() + " '" + e.getValue() + "'");
      }
    }
    if (file == null || file.isEmpty()) {
      throw new ModelFormatException(
          modelFile + ": tensor '" + t.getName() + "' is external but has no location");
    }
    if (offset < 0) {
      throw new ModelFormatException(
          modelFile + ": tensor '" + t.getName() + "' has a negative external data offset");
    }
    return new Location(file, offset, length);
  }

  /** The tensor's bytes, little-endian, as a read-only mapped buffer of exactly {@code expected} bytes. */
  synchronized ByteBuffer read(TensorProto t, long expected) throws IOException {
    Location loc = locationOf(t, modelFile);
    long length = knownLength(t, loc, expected);
    FileChannel ch = check(t, loc, length);
    if (length > Integer.MAX_VALUE) {
      throw new ModelFormatException(modelFile + ": tensor '" + t.getName()
          + "' is larger than 2 GB, which Shears cannot hold in one buffer");
    }
    // a READ_ONLY mapping is itself read-only; returning it (not a view) lets the caller
    // release it with Buffers.release as soon as it is done
    return ch.map(FileChannel.MapMode.READ_ONLY, loc.offset(), length).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Checks a tensor's external data without reading it: the location stays inside the model's
   * folder, the file exists and holds the whole byte range, and the length fits the shape.
   * Called for every external tensor when the model is opened, so that a bad location is refused
   * even for tensors Shears would only copy.
   */
  void check(TensorProto t) throws IOException {
    Location loc = locationOf(t, modelFile);
    check(t, loc, knownLength(t, loc, TensorShapes.byteSize(modelFile, t)));
  }

  /**
   * The bytes to read: what the shape and type need, or for a type of unknown width the declared
   * length, which must then be present.
   */
  private long knownLength(TensorProto t, Location loc, long expected) {
    if (expected >= 0) {
      return expected;
    }
    if (loc.length() < 0) {
      throw new ModelFormatException(modelFile + ": tensor '" + t.getName() + "' has element type "
          + DataType.nameOf(t.getDataType()) + ", whose size Shears does not know, and its external "
          + "data gives no length");
    }
    return loc.length();
  }

  private FileChannel check(TensorProto t, Location loc, long expected) throws IOException {
    Path file = resolve(t.getName(), loc.file());
    FileChannel ch = channels.get(file);
    if (ch == null) {
      if (Files.isDirectory(file)) {
        throw new ModelFormatException(modelFile + ": external data location '" + loc.file()
            + "' of tensor '" + t.getName() + "' is a folder");
      }
      try {
        ch = FileChannel.open(file, StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        throw new ModelFormatException(modelFile + ": external data file '" + loc.file()
            + "' of tensor '" + t.getName() + "' does not exist");
      } catch (java.nio.file.AccessDeniedException e) {
        throw new ModelFormatException(modelFile + ": external data file '" + loc.file()
            + "' of tensor '" + t.getName() + "': permission denied");
      }
      channels.put(file, ch);
    }
    long length = loc.length() < 0 ? expected : loc.length();
    if (length != expected) {
      throw new ModelFormatException(modelFile + ": tensor '" + t.getName() + "' declares "
          + length + " bytes of external data but its shape needs " + expected);
    }
    if (loc.offset() > ch.size() || length > ch.size() - loc.offset()) {
      throw new ModelFormatException(modelFile + ": tensor '" + t.getName() + "' reads bytes "
          + loc.offset() + ".." + (loc.offset() + length) + " of '" + loc.file()
          + "', which has only " + ch.size());
    }
    return ch;
  }

  /** The path of an external data file, refused when it would leave the model's folder. */
  Path resolve(String tensor, String location) throws IOException {
    Path rel;
    try {
      rel = Path.of(location);
    } catch (InvalidPathException e) {
      throw new ModelFormatException(modelFile + ": tensor '" + tensor
          + "' has an invalid external data location '" + location + "'");
    }
    Path resolved = baseDir.resolve(rel).normalize();
    if (rel.isAbsolute() || !resolved.startsWith(baseDir.normalize())) {
      throw new ModelFormatException(modelFile + ": external data location '" + location
          + "' of tensor '" + tensor + "' points outside the model's folder; refused");
    }
    if (Files.exists(resolved)) {
      Path real = resolved.toRealPath();
      if (!real.startsWith(baseDir.toRealPath())) {
        throw new ModelFormatException(modelFile + ": external data location '" + location
            + "' of tensor '" + tensor + "' is a link that leads outside the model's folder; refused");
      }
    }
    return resolved;
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (FileChannel ch : channels.values()) {
      try {
        ch.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    channels.clear();
    if (first != null) {
      throw first;
    }
  }
}
