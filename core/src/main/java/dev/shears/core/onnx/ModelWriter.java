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
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
  /** Suffix of temporary files ({@link AtomicOutput#TEMP_SUFFIX}). */
  public static final String TEMP_SUFFIX = AtomicOutput.TEMP_SUFFIX;

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
    AtomicOutput.removeLeftovers(dir, out);
    List<AtomicOutput.Temp> temps = new ArrayList<>();
    try {
      if (!external) {
        ModelProto replaced = replacements == null ? model : applyInline(model, source, replacements);
        ModelProto inline = anyExternal ? inlineAll(replaced, source) : replaced;
        AtomicOutput.Temp tmp = AtomicOutput.open(dir, out, temps);
        writeProto(inline, tmp);
        AtomicOutput.moveIntoPlace(tmp.path(), out);
        return;
      }
      String dataName = dataFileName(out, source);
      AtomicOutput.Temp dataTmp = AtomicOutput.open(dir, out, temps);
      ModelProto rewritten = writeExternal(model, source, replacements, dataTmp.channel(), dataName);
      AtomicOutput.Temp tmp = AtomicOutput.open(dir, out, temps);
      writeProto(rewritten, tmp);
      AtomicOutput.moveIntoPlace(dataTmp.path(), dir.resolve(dataName));
      AtomicOutput.moveIntoPlace(tmp.path(), out);
      removeStaleData(out, source, dataName);
    } catch (IOException e) {
      throw new ShearsException(out + ": cannot write the model (" + describe(e) + "); nothing was changed", e);
    } finally {
      for (AtomicOutput.Temp t : temps) {
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

  private static void writeProto(ModelProto model, AtomicOutput.Temp file) throws IOException {
    // Not closed: closing the stream would close the locked channel (Temp.discard does).
    OutputStream os = new BufferedOutputStream(Channels.newOutputStream(file.channel()), 1 << 16);
    CodedOutputStream cos = CodedOutputStream.newInstance(os, 1 << 16);
    model.writeTo(cos);
    cos.flush();
    os.flush();
    file.channel().force(true);
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
