package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.shears.core.ShearsException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Activations at a block boundary, batch by batch, on disk. Sequential pruning needs each
 * block's input for every calibration batch; holding those in memory would grow with the
 * calibration set, so they stream through a temporary file instead (written once, read
 * once, in batch order).
 */
final class TensorSpill implements AutoCloseable {
  private final Path file; // for messages only: it is unlinked once open
  private final Path leftover; // null when unlinked, else deleted on close
  private final FileChannel channel;
  private DataOutputStream out;
  private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
  private int batches;
  /** Reused across batches: per-batch garbage would make memory grow with the calibration set. */
  private byte[] scratch = new byte[0];

  TensorSpill() {
    try {
      file = Files.createTempFile("shears-activations-", ".spill");
      channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      // unlinked at once, so that a killed process leaves nothing behind; the channel keeps the data
      leftover = dev.shears.core.onnx.TensorStore.unlink(file);
      OutputStream toChannel = new FilterOutputStream(Channels.newOutputStream(channel)) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          flush(); // the channel stays open for the reader
        }
      };
      out = new DataOutputStream(new BufferedOutputStream(toChannel, 1 << 20));
    } catch (IOException e) {
      throw new ShearsException("cannot create a temporary file for activations: " + e.getMessage(), e);
    }
  }

  /** The value names held, with the type ONNX Runtime gave them (from the first batch). */
  Map<String, TensorInfo> infos() {
    return infos;
  }

  int batches() {
    return batches;
  }

  void append(List<String> names, List<OnnxTensor> tensors) {
    try {
      out.writeInt(names.size());
      for (int i = 0; i < names.size(); i++) {
        OnnxTensor t = tensors.get(i);
        TensorInfo info = t.getInfo();
        infos.putIfAbsent(names.get(i), info);
        ByteBuffer bytes = t.getByteBuffer();
        out.writeUTF(names.get(i));
        out.writeInt(info.type.ordinal());
        long[] shape = info.getShape();
        out.writeInt(shape.length);
        for (long d : shape) {
          out.writeLong(d);
        }
        int length = bytes.remaining();
        if (scratch.length < length) {
          scratch = new byte[length];
        }
        bytes.get(scratch, 0, length);
        out.writeInt(length);
        out.write(scratch, 0, length);
      }
      batches++;
    } catch (IOException e) {
      throw new ShearsException("cannot write activations to " + file + ": " + e.getMessage(), e);
    }
  }

  /** Finishes writing; then batches are read back in order. */
  Reader reader() {
    try {
      out.close();
      channel.position(0);
      InputStream fromChannel = new FilterInputStream(Channels.newInputStream(channel)) {
        @Override
        public void close() {
          // the channel is closed with the spill
        }
      };
      return new Reader(new DataInputStream(new BufferedInputStream(fromChannel, 1 << 20)));
    } catch (IOException e) {
      throw new ShearsException("cannot read activations from " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads batches back, in the order they were written. */
  final class Reader implements AutoCloseable {
    private final DataInputStream in;
    /**
     * One direct buffer per value, reused batch after batch: the tensors of a batch are closed
     * before the next is read, and fresh direct buffers would only be freed by the collector.
     */
    private final Map<String, ByteBuffer> buffers = new java.util.HashMap<>();

    private Reader(DataInputStream in) {
      this.in = in;
    }

    /** The next batch's tensors by name; the caller closes them. */
    Map<String, OnnxTensor> next(OrtEnvironment env) {
      Map<String, OnnxTensor> batch = new LinkedHashMap<>();
      try {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
          String name = in.readUTF();
          OnnxJavaType type = OnnxJavaType.values()[in.readInt()];
          long[] shape = new long[in.readInt()];
          for (int d = 0; d < shape.length; d++) {
            shape[d] = in.readLong();
          }
          int len = in.readInt();
          ByteBuffer data = buffers.get(name);
          if (data == null || data.capacity() < len) {
            dev.shears.core.onnx.Buffers.release(data);
            data = ByteBuffer.allocateDirect(len).order(ByteOrder.nativeOrder());
            buffers.put(name, data);
          }
          if (scratch.length < len) {
            scratch = new byte[len];
          }
          in.readFully(scratch, 0, len);
          data.clear();
          data.put(scratch, 0, len).flip();
          batch.put(name, OrtTensors.fromBytes(env, data, shape, type));
        }
        return batch;
      } catch (IOException | OrtException e) {
        batch.values().forEach(OnnxTensor::close);
        throw new ShearsException("cannot read activations from " + file + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException ignored) {
        // a temporary file: nothing to save
      }
      buffers.values().forEach(dev.shears.core.onnx.Buffers::release);
      buffers.clear();
    }
  }

  @Override
  public void close() {
    try {
      out.close();
      channel.close();
      if (leftover != null) {
        Files.deleteIfExists(leftover);
      }
    } catch (IOException ignored) {
      // a temporary file: deleteOnExit is the fallback
    }
  }
}
