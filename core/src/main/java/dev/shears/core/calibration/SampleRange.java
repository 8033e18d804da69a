package dev.shears.core.calibration;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples {@code [from, from + count)} of another source, in its order, re-batched: a batch
 * of the range holds exactly the samples a batch of that size would hold if the range were a
 * source of its own (so the first {@code n} samples batch exactly as {@code --calib-samples n}
 * does). Used to split the calibration set into the samples a strategy search prunes with and
 * the held-out samples it scores candidates on.
 */
public final class SampleRange implements CalibrationSource {
  private final CalibrationSource source;
  private final int from;
  private final int count;

  private SampleRange(CalibrationSource source, int from, int count) {
    this.source = source;
    this.from = from;
    this.count = count;
  }

  /**
   * The samples {@code [from, from + count)} of {@code source}.
   *
   * @throws IllegalArgumentException when the range is empty or lies outside the source
   */
  public static CalibrationSource of(CalibrationSource source, int from, int count) {
    if (from < 0 || count < 1 || from + count > source.sampleCount()) {
      throw new IllegalArgumentException("samples " + from + " + " + count + " outside a source of "
          + source.sampleCount());
    }
    return new SampleRange(source, from, count);
  }

  @Override
  public String describe() {
    return "samples " + (from + 1) + "-" + (from + count) + " of " + source.describe();
  }

  @Override
  public List<String> inputNames() {
    return source.inputNames();
  }

  @Override
  public int sampleCount() {
    return count;
  }

  @Override
  public BatchReader open(int batchSize) throws IOException {
    BatchReader reader = source.open(batchSize);
    return new BatchReader() {
      private CalibrationBatch current;
      private int offset; // rows of current already passed on or skipped
      private int position; // samples of the source consumed so far
      private int index;

      @Override
      public CalibrationBatch next() throws IOException {
        int end = from + count;
        List<Map<String, HostTensor>> pieces = new ArrayList<>();
        int rows = 0;
        while (rows < batchSize && position < end) {
          if (current == null || offset == current.size()) {
            current = reader.next();
            offset = 0;
            if (current == null) {
              throw new IOException("the calibration source ended after " + position + " samples, "
                  + end + " expected");
            }
          }
          int available = current.size() - offset;
          if (position < from) {
            int skip = Math.min(available, from - position);
            offset += skip;
            position += skip;
            continue;
          }
          int take = Math.min(Math.min(available, batchSize - rows), end - position);
          pieces.add(rows(current.inputs(), offset, take, current.size()));
          offset += take;
          position += take;
          rows += take;
        }
        if (rows == 0) {
          return null;
        }
        return new CalibrationBatch(index++, rows, concat(pieces, rows));
      }

      @Override
      public void close() throws IOException {
        reader.close();
      }
    };
  }

  /** Rows {@code [start, start + n)} of every tensor of a batch of {@code size} rows. */
  private static Map<String, HostTensor> rows(Map<String, HostTensor> batch, int start, int n, int size) {
    if (start == 0 && n == size) {
      return batch;
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : batch.entrySet()) {
      HostTensor t = e.getValue();
      int per = (int) (t.data().remaining() / t.shape()[0]);
      long[] shape = t.shape().clone();
      shape[0] = n;
      if (t.type() == HostTensor.ElementType.FLOAT) {
        float[] v = new float[n * per];
        ((FloatBuffer) t.data().duplicate()).get(start * per, v, 0, n * per);
        out.put(e.getKey(), HostTensor.of(t.name(), shape, v));
      } else {
        long[] v = new long[n * per];
        ((LongBuffer) t.data().duplicate()).get(start * per, v, 0, n * per);
        out.put(e.getKey(), HostTensor.of(t.name(), shape, v));
      }
    }
    return out;
  }

  /** The pieces' rows one after the other (every piece has the same inputs and row shapes). */
  private static Map<String, HostTensor> concat(List<Map<String, HostTensor>> pieces, int rows) {
    if (pieces.size() == 1) {
      return pieces.get(0);
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : pieces.get(0).entrySet()) {
      HostTensor first = e.getValue();
      int per = (int) (first.data().remaining() / first.shape()[0]);
      long[] shape = first.shape().clone();
      shape[0] = rows;
      int at = 0;
      if (first.type() == HostTensor.ElementType.FLOAT) {
        float[] v = new float[rows * per];
        for (Map<String, HostTensor> p : pieces) {
          FloatBuffer b = (FloatBuffer) p.get(e.getKey()).data().duplicate();
          int n = b.remaining();
          b.get(v, at, n);
          at += n;
        }
        out.put(e.getKey(), HostTensor.of(first.name(), shape, v));
      } else {
        long[] v = new long[rows * per];
        for (Map<String, HostTensor> p : pieces) {
          LongBuffer b = (LongBuffer) p.get(e.getKey()).data().duplicate();
          int n = b.remaining();
          b.get(v, at, n);
          at += n;
        }
        out.put(e.getKey(), HostTensor.of(first.name(), shape, v));
      }
    }
    return out;
  }
}
