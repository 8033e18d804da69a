package dev.shears.core.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * An ONNX model as read from disk: the parsed protobuf, losslessly (fields this schema does
 * not know are kept as unknown fields), and access to tensor bytes wherever they live.
 *
 * <p>The file is memory-mapped and parsed with aliasing, so large {@code raw_data} fields
 * point into the mapping instead of being copied onto the heap. External data is mapped on
 * demand. Close the model to release the external data files.
 */
public final class ModelFile implements AutoCloseable {
  private final Path path;
  private final ModelProto proto;
  private final ExternalData external;

  private ModelFile(Path path, ModelProto proto) {
    this.path = path;
    this.proto = proto;
    this.external = new ExternalData(path);
  }

  /**
   * Reads and parses a model.
   *
   * @throws ModelFormatException when the file is missing, not ONNX, truncated or inconsistent
   */
  public static ModelFile read(Path path) {
    if (Files.isDirectory(path)) {
      throw new ModelFormatException(path + ": is a folder, not an ONNX file");
    }
    MappedByteBuffer bytes;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw new ModelFormatException(path + ": is empty, not an ONNX model");
      }
      if (size > Integer.MAX_VALUE) {
        throw new ModelFormatException(path + ": the protobuf is larger than 2 GB; ONNX models "
            + "that large keep their weights in external data files");
      }
      bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(path + ": no such file");
    } catch (AccessDeniedException e) {
      throw new ModelFormatException(path + ": permission denied");
    } catch (IOException e) {
      throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
    }
    ModelProto proto = parse(path, bytes);
    ModelValidator.validate(path, proto);
    ModelFile model = new ModelFile(path, proto);
    try {
      for (TensorProto t : proto.getGraph().getInitializerList()) {
        if (ExternalData.isExternal(t)) {
          model.external.check(t);
        }
      }
      for (var s : proto.getGraph().getSparseInitializerList()) {
        for (TensorProto t : List.of(s.getValues(), s.getIndices())) {
          if (ExternalData.isExternal(t)) {
            model.external.check(t);
          }
        }
      }
    } catch (IOException e) {
      model.close();
      throw new ModelFormatException(path + ": cannot read external data: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  private static ModelProto parse(Path path, ByteBuffer bytes) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.enableAliasing(true);
      in.setRecursionLimit(200);
      ModelProto proto = ModelProto.parseFrom(in);
      in.checkLastTagWas(0);
      return proto;
    } catch (InvalidProtocolBufferException e) {
      String why = e.getMessage() == null ? "" : e.getMessage();
      if (why.contains("ended unexpectedly") || why.contains("truncated")) {
        throw new ModelFormatException(path + ": is truncated (the protobuf ends mid-message)", e);
      }
      throw new ModelFormatException(path + ": is not an ONNX model (protobuf: "
          + why.replace('\n', ' ') + ")", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file this model was read from. */
  public Path path() {
    return path;
  }

  /** The parsed model, including unknown fields. */
  public ModelProto proto() {
    return proto;
  }

  /**
   * The bytes of a tensor's values, little-endian, read-only, wherever they are stored:
   * {@code raw_data} or external data. Typed fields ({@code float_data} and friends) are
   * not bytes: read those with {@link TensorValues}.
   *
   * @return the bytes, or {@code null} when the tensor keeps its values in typed fields
   */
  public ByteBuffer rawBytes(TensorProto tensor) {
    long expected = TensorShapes.byteSize(path, tensor);
    if (ExternalData.isExternal(tensor)) {
      try {
        return external.read(tensor, expected);
      } catch (IOException e) {
        throw new ModelFormatException(path + ": cannot read external data of tensor '"
            + tensor.getName() + "': " + e.getMessage(), e);
      }
    }
    if (!tensor.hasRawData()) {
      return null;
    }
    if (expected >= 0 && tensor.getRawData().size() != expected) {
      throw new ModelFormatException(path + ": tensor '" + tensor.getName() + "' has "
          + tensor.getRawData().size() + " bytes of data but its shape and type need " + expected);
    }
    return tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The tensor's values as floats, in stored order (fp16 and bf16 widened). */
  public float[] readFloats(TensorProto tensor) {
    return withRawBytes(tensor, bytes -> TensorValues.decodeFloats(path, tensor, bytes));
  }

  /**
   * Applies {@code reader} to the tensor's {@link #rawBytes} (null for typed fields), which
   * are valid only during the call: external data mapped for it is released after.
   */
  public <T> T withRawBytes(TensorProto tensor, java.util.function.Function<ByteBuffer, T> reader) {
    ByteBuffer bytes = rawBytes(tensor);
    try {
      return reader.apply(bytes);
    } finally {
      if (ExternalData.isExternal(tensor)) {
        Buffers.release(bytes);
      }
    }
  }

  @Override
  public void close() {
    try {
      external.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
