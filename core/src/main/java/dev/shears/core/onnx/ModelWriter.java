package dev.shears.core.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.shears.core.ShearsException;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes a model to disk atomically: everything goes to temporary files in the target
 * folder, which are synced and then moved into place, so a crash or a full disk never leaves
 * a half-written model where a good one was.
 */
public final class ModelWriter {
  /** Offsets in external data files are aligned so that runtimes can memory-map them. */
  static final int ALIGNMENT = 4096;
  /** Tensors smaller than this stay inline even in external-data mode (as ONNX's tools do). */
  static final int EXTERNAL_THRESHOLD = 1024;
  /** Protobuf cannot serialize messages past 2 GB; keep a margin for everything but tensors. */
  static final long PROTOBUF_LIMIT = Integer.MAX_VALUE - (64L << 20);
  /** Suffix of temporary files, so that leftovers of a killed run can be recognised. */
  public static final String TEMP_SUFFIX = ".shears-tmp";

  private ModelWriter() {}

  /**
   * Writes {@code model} to {@code out}.
   *
   * @param model the model to write; tensors may still point at the source's external data
   * @param source where tensors marked external are read from (the model they came from)
   * @param out the target file; its folder must exist
   * @param policy when to use external data
   */
  public static void write(ModelProto model, ModelFile source, Path out, ExternalDataPolicy policy) {
    write(model, source, null, out, policy);
  }

  /**
   * Writes {@code model} with some tensors' values replaced, without ever holding all new
   * values in memory when the output uses external data: each is copied from the store into
   * the data file in turn.
   *
   * @param replacements new values by tensor name (stored layout and type), or {@code null}
   */
  public static void write(ModelProto model, ModelFile source, TensorStore replacements, Path out,
      ExternalDataPolicy policy) {
    Path dir = out.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new ShearsException(out + ": the output folder " + dir + " does not exist");
    }
    boolean anyExternal = hasExternal(model.getGraph());
    long size = estimatedSize(model, source);
    boolean external = switch (policy) {
      case ALWAYS -> true;
      case NEVER -> false;
      case AUTO -> anyExternal || size > PROTOBUF_LIMIT;
    };
    if (!external && size > PROTOBUF_LIMIT) {
      throw new ShearsException(out + ": the model needs about " + (size >> 20)
          + " MiB, past protobuf's 2 GB limit; write it with external data");
    }
    removeLeftovers(dir, out);
    List<Temp> temps = new ArrayList<>();
    try {
      if (!external) {
        ModelProto replaced = replacements == null ? model : applyInline(model, source, replacements);
        ModelProto inline = anyExternal ? inlineAll(replaced, source) : replaced;
        Temp tmp = temp(dir, out, temps);
        writeProto(inline, tmp);
        moveIntoPlace(tmp.path(), out);
        return;
      }
      String dataName = dataFileName(out, source);
      Temp dataTmp = temp(dir, out, temps);
      ModelProto rewritten = writeExternal(model, source, replacements, dataTmp.channel(), dataName);
      Temp tmp = temp(dir, out, temps);
      writeProto(rewritten, tmp);
      moveIntoPlace(dataTmp.path(), dir.resolve(dataName));
      moveIntoPlace(tmp.path(), out);
      removeStaleData(out, source, dataName);
    } catch (IOException e) {
      throw new ShearsException(out + ": cannot write the model (" + describe(e) + "); nothing was changed", e);
    } finally {
      for (Temp t : temps) {
        t.discard();
      }
    }
  }

  /** An I/O error in a few words; a full disk by name. */
  static String describe(IOException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      String m = c.getMessage();
      if (m != null && (m.contains("No space left") || m.contains("Disk quota exceeded"))) {
        return "the disk is full";
      }
    }
    return e.getMessage() == null ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + e.getMessage().replace('\n', ' ');
  }

  /**
   * A temporary file being written, open and locked by this process. The lock tells a later run
   * that the file is in use (a run killed with SIGKILL loses its locks, and its leftovers become
   * removable); every write goes through the one channel, since on POSIX systems closing any other
   * descriptor of the file would drop the lock.
   */
  private record Temp(Path path, FileChannel channel) {
    void discard() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing a file we are about to delete
      }
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // best effort: a leftover temp file is recognisable by its suffix and removed next time
      } finally {
        LIVE.remove(path);
      }
    }
  }

  /** Temporary files this JVM is writing; locks do not tell threads of one process apart. */
  private static final Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Deletes the temporary files this JVM is writing, for a process about to end on a signal: the
   * target files stay as they were (each is replaced only by an atomic move of a complete file).
   */
  public static void discardLive() {
    for (Path t : List.copyOf(LIVE)) {
      try {
        Files.deleteIfExists(t);
      } catch (IOException ignored) {
        // best effort: the next write to the same output removes it
      }
    }
  }

  /**
   * Removes temporary files that an earlier, killed run left for the same output: those named
   * {@code .<out>.*.shears-tmp} that no process holds a lock on. Files of other outputs, and files
   * a running process is still writing, are left alone.
   */
  static void removeLeftovers(Path dir, Path out) {
    String prefix = "." + out.getFileName() + ".";
    try (var files = Files.newDirectoryStream(dir, f -> {
      String n = f.getFileName().toString();
      return n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX);
    })) {
      for (Path f : files) {
        Path abs = f.toAbsolutePath().normalize();
        if (LIVE.contains(abs) || !Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          java.nio.channels.FileLock lock = ch.tryLock();
          if (lock != null) {
            Files.deleteIfExists(f);
          }
        } catch (IOException | java.nio.channels.OverlappingFileLockException ignored) {
          // in use, or not ours to remove: leave it
        }
      }
    } catch (IOException ignored) {
      // listing failed: leftovers stay, and are still recognisable by their suffix
    }
  }

  private static Temp temp(Path dir, Path out, List<Temp> temps) throws IOException {
    Path t = Files.createTempFile(dir, "." + out.getFileName() + ".", TEMP_SUFFIX).toAbsolutePath().normalize();
    LIVE.add(t);
    FileChannel ch = null;
    try {
      ch = FileChannel.open(t, StandardOpenOption.WRITE);
      ch.lock();
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      LIVE.remove(t);
      Files.deleteIfExists(t);
      throw e;
    }
    Temp temp = new Temp(t, ch);
    temps.add(temp);
    matchPermissions(t, out);
    return temp;
  }

  /**
   * createTempFile makes owner-only files; what replaces a file should get that file's
   * permissions, and a new file the usual rw-r--r--.
   */
  public static void matchPermissions(Path temp, Path target) throws IOException {
    Set<PosixFilePermission> perms = PosixFilePermissions.fromString("rw-r--r--");
    try {
      if (Files.exists(target)) {
        perms = Files.getPosixFilePermissions(target);
      }
      Files.setPosixFilePermissions(temp, perms);
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: keep the defaults
    }
  }

  private static boolean hasExternal(GraphProto g) {
    for (TensorProto t : g.getInitializerList()) {
      if (ExternalData.isExternal(t)) {
        return true;
      }
    }
    return false;
  }

  private static long estimatedSize(ModelProto model, ModelFile source) {
    long total = 0;
    for (TensorProto t : model.getGraph().getInitializerList()) {
      if (ExternalData.isExternal(t)) {
        long n = TensorShapes.byteSize(source.path(), t);
        total += Math.max(n, 0);
      } else {
        total += t.getRawData().size() + 4L * t.getFloatDataCount() + 8L * t.getInt64DataCount()
            + 4L * t.getInt32DataCount() + 8L * t.getDoubleDataCount();
      }
    }
    return total + (1 << 20);
  }

  private static void writeProto(ModelProto model, Temp file) throws IOException {
    // Not closed: closing the stream would close the locked channel (Temp.discard does).
    OutputStream os = new BufferedOutputStream(Channels.newOutputStream(file.channel()), 1 << 16);
    CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 16);
    model.writeTo(cos);
    cos.flush();
    os.flush();
    file.channel().force(true);
  }

  private static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static ModelProto applyInline(ModelProto model, ModelFile source, TensorStore replacements) {
    ModelProto.Builder b = model.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    Path file = source == null ? Path.of("model") : source.path();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      ByteBuffer bytes = replacements.get(g.getInitializer(i).getName());
      if (bytes != null) {
        g.setInitializer(i, TensorValues.withStoredBytes(file, g.getInitializer(i), bytes));
      }
    }
    return b.build();
  }

  private static ModelProto inlineAll(ModelProto model, ModelFile source) {
    ModelProto.Builder b = model.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      if (ExternalData.isExternal(t)) {
        ByteBuffer bytes = source.rawBytes(t);
        g.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation()
            .setRawData(ByteString.copyFrom(bytes)).build());
      }
    }
    return b.build();
  }

  /** Writes every large raw tensor to {@code dataFile}, returning the model that points at it. */
  private static ModelProto writeExternal(ModelProto model, ModelFile source, TensorStore replacements,
      FileChannel ch, String dataName) throws IOException {
    ModelProto.Builder b = model.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    Function<TensorProto, ByteBuffer> bytesOf = t -> ExternalData.isExternal(t)
        ? source.rawBytes(t)
        : t.getRawData().asReadOnlyByteBuffer();
    {
      long offset = 0;
      ByteBuffer padding = ByteBuffer.allocate(ALIGNMENT);
      for (int i = 0; i < g.getInitializerCount(); i++) {
        TensorProto t = g.getInitializer(i);
        ByteBuffer replaced = replacements == null ? null : replacements.get(t.getName());
        boolean raw = t.hasRawData() || ExternalData.isExternal(t);
        if (!raw && replaced == null) {
          continue;
        }
        ByteBuffer bytes = replaced != null ? replaced : bytesOf.apply(t);
        if (bytes.remaining() < EXTERNAL_THRESHOLD) {
          if (replaced != null) {
            g.setInitializer(i, TensorValues.withStoredBytes(source == null ? Path.of(dataName) : source.path(), t, bytes));
          } else if (ExternalData.isExternal(t)) {
            g.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation()
                .setRawData(ByteString.copyFrom(bytes)).build());
          }
          continue;
        }
        long aligned = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        if (aligned > offset) {
          padding.clear().limit((int) (aligned - offset));
          writeFully(ch, padding, offset);
        }
        long length = bytes.remaining();
        writeFully(ch, bytes.duplicate(), aligned);
        offset = aligned + length;
        if (replaced != null || ExternalData.isExternal(t)) {
          Buffers.release(bytes); // mapped just for this copy
        }
        g.setInitializer(i, t.toBuilder()
            .clearRawData()
            .clearFloatData()
            .clearInt32Data()
            .clearDoubleData()
            .clearExternalData()
            .addExternalData(entry("location", dataName))
            .addExternalData(entry("offset", Long.toString(aligned)))
            .addExternalData(entry("length", Long.toString(length)))
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .build());
      }
      ch.force(true);
    }
    return b.build();
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /**
   * The external data file name for {@code out}: {@code <name>.data}, unless the source
   * model (being overwritten in place, say) still reads that very file; then an alternative
   * name, so that the old model stays readable until the new one has replaced it.
   */
  private static String dataFileName(Path out, ModelFile source) throws IOException {
    Set<Path> inUse = referencedDataFiles(source);
    String base = out.getFileName().toString();
    Path dir = out.toAbsolutePath().getParent();
    for (String candidate : List.of(base + ".data", base + ".1.data")) {
      if (!inUse.contains(dir.resolve(candidate).normalize())) {
        return candidate;
      }
    }
    throw new IllegalStateException("unreachable: at most one name is in use");
  }

  private static Set<Path> referencedDataFiles(ModelFile source) throws IOException {
    Set<Path> files = new HashSet<>();
    if (source == null) {
      return files;
    }
    Path dir = source.path().toAbsolutePath().getParent();
    for (TensorProto t : source.proto().getGraph().getInitializerList()) {
      if (ExternalData.isExternal(t)) {
        files.add(dir.resolve(ExternalData.locationOf(t, source.path()).file()).normalize());
      }
    }
    return files;
  }

  /** After an in-place write, removes data files only the replaced model used. */
  private static void removeStaleData(Path out, ModelFile source, String dataName) throws IOException {
    if (source == null || !Files.exists(source.path())
        || !Files.isSameFile(source.path(), out)) {
      return;
    }
    Path dir = out.toAbsolutePath().getParent();
    for (Path old : referencedDataFiles(source)) {
      if (!old.equals(dir.resolve(dataName).normalize())) {
        try {
          Files.deleteIfExists(old);
        } catch (NoSuchFileException ignored) {
          // already gone
        }
      }
    }
  }
}
