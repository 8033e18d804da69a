package dev.shears.core.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.shears.core.ShearsException;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.SparseTensorProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Converts pruned initializers to ONNX {@code sparse_initializer}s and back.
 *
 * <p>A sparse initializer keeps the dense tensor's name, element type and dims; its {@code values}
 * tensor holds the elements whose bytes are not all zero (so {@code -0.0} is kept as a value) in
 * row-major order, and its {@code indices} tensor their linear (row-major) positions, INT64, 1-D.
 * ONNX Runtime turns sparse initializers back into dense ones when it loads the model, so outputs
 * are identical to the dense-with-zeros model.
 *
 * <p>The converted tensors' places in the {@code initializer} list are kept in the model's
 * {@code metadata_props} under {@link #POSITIONS}, so that {@link #densify} restores the exact
 * model: {@code densify(toSparse(m))} serializes to the same bytes as {@code m} when {@code m}
 * stored the tensors as {@code raw_data} or external data.
 */
public final class SparseStorage {
  /** Metadata key holding {@code {"tensor name": index in initializer}} of converted tensors. */
  public static final String POSITIONS = "shears.sparse_initializer_positions";
  private static final ObjectMapper JSON = new ObjectMapper();

  private SparseStorage() {}

  /**
   * Moves the named initializers into {@code sparse_initializer}. Tensors kept in typed fields
   * ({@code float_data} and friends) and names that are not initializers are left as they are.
   *
   * @param model the model, whose tensors may point at {@code source}'s external data
   * @param source where external data is read from
   * @param names the initializers to convert (the pruned ones)
   */
  public static ModelProto toSparse(ModelProto model, ModelFile source, Collection<String> names) {
    Set<String> wanted = new HashSet<>(names);
    if (model.getGraph().getSparseInitializerCount() > 0) {
      // Positions are recorded against a dense initializer list: start from one.
      model = densify(model, String.valueOf(source.path()));
    }
    ModelProto.Builder b = model.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    Map<String, Integer> positions = new LinkedHashMap<>();
    List<TensorProto> keep = new ArrayList<>();
    List<SparseTensorProto> sparse = new ArrayList<>();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      DataType type = DataType.ofCode(t.getDataType());
      boolean bytes = t.hasRawData() || ExternalData.isExternal(t);
      if (!wanted.contains(t.getName()) || type == null || !bytes) {
        keep.add(t);
        continue;
      }
      sparse.add(sparse(t, type, source.rawBytes(t)));
      positions.put(t.getName(), i);
    }
    if (sparse.isEmpty()) {
      return model;
    }
    g.clearInitializer().addAllInitializer(keep).addAllSparseInitializer(sparse);
    setPositions(b, positions);
    return b.build();
  }

  /**
   * One line comparing the sparse initializers' bytes with what they take dense; int64 indices
   * cost 8 bytes per kept value, so sparse storage only saves space at high sparsity (above 2/3
   * for float32, 4/5 for float16).
   */
  public static String describeSavings(ModelProto model) {
    long sparseBytes = 0;
    long denseBytes = 0;
    for (SparseTensorProto s : model.getGraph().getSparseInitializerList()) {
      DataType type = DataType.ofCode(s.getValues().getDataType());
      long count = 1;
      for (long d : s.getDimsList()) {
        count *= d;
      }
      denseBytes += count * (type == null ? 4 : type.bytes());
      sparseBytes += s.getValues().getRawData().size() + s.getIndices().getRawData().size();
    }
    return String.format(java.util.Locale.ROOT,
        "sparse storage: %d tensors take %.2f MiB as sparse_initializer, %.2f MiB dense (%+.1f%%)%s",
        model.getGraph().getSparseInitializerCount(), sparseBytes / 1048576.0, denseBytes / 1048576.0,
        denseBytes == 0 ? 0 : 100.0 * (sparseBytes - denseBytes) / denseBytes,
        sparseBytes > denseBytes ? "; with int64 indices it pays off above 67% sparsity for float32" : "");
  }

  private static SparseTensorProto sparse(TensorProto t, DataType type, ByteBuffer raw) {
    int size = type.bytes();
    ByteBuffer in = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int base = in.position();
    int n = in.remaining() / size;
    int nnz = 0;
    boolean[] keep = new boolean[n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < size; k++) {
        if (in.get(base + i * size + k) != 0) {
          keep[i] = true;
          nnz++;
          break;
        }
      }
    }
    ByteBuffer values = ByteBuffer.allocate(nnz * size);
    ByteBuffer indices = ByteBuffer.allocate(nnz * 8).order(ByteOrder.LITTLE_ENDIAN);
    byte[] element = new byte[size];
    for (int i = 0; i < n; i++) {
      if (keep[i]) {
        for (int k = 0; k < size; k++) {
          element[k] = in.get(base + i * size + k);
        }
        values.put(element);
        indices.putLong(i);
      }
    }
    TensorProto.Builder v = TensorProto.newBuilder().setName(t.getName()).setDataType(t.getDataType())
        .addDims(nnz).setRawData(ByteString.copyFrom(values.array()));
    if (t.hasDocString()) {
      v.setDocString(t.getDocString());
    }
    TensorProto idx = TensorProto.newBuilder().setName(t.getName() + "_indices")
        .setDataType(DataType.INT64.code()).addDims(nnz).setRawData(ByteString.copyFrom(indices.array()))
        .build();
    return SparseTensorProto.newBuilder().setValues(v).setIndices(idx).addAllDims(t.getDimsList()).build();
  }

  /**
   * Turns every {@code sparse_initializer} into a dense initializer with {@code raw_data}, at the
   * place {@link #toSparse} recorded (else at the end), and removes the record.
   *
   * @throws ModelFormatException when a sparse initializer is malformed
   */
  public static ModelProto densify(ModelProto model, String file) {
    GraphProto graph = model.getGraph();
    if (graph.getSparseInitializerCount() == 0) {
      return model;
    }
    Map<String, Integer> positions = existingPositions(model);
    ModelProto.Builder b = model.toBuilder();
    GraphProto.Builder g = b.getGraphBuilder();
    List<TensorProto> dense = new ArrayList<>(graph.getInitializerList());
    TreeMap<Integer, TensorProto> placed = new TreeMap<>();
    List<TensorProto> appended = new ArrayList<>();
    for (SparseTensorProto s : graph.getSparseInitializerList()) {
      TensorProto d = dense(s, file);
      Integer at = positions.get(d.getName());
      if (at != null && !placed.containsKey(at)) {
        placed.put(at, d);
      } else {
        appended.add(d);
      }
    }
    for (Map.Entry<Integer, TensorProto> e : placed.entrySet()) {
      dense.add(Math.min(e.getKey(), dense.size()), e.getValue());
    }
    dense.addAll(appended);
    g.clearSparseInitializer().clearInitializer().addAllInitializer(dense);
    setPositions(b, Map.of());
    return b.build();
  }

  private static TensorProto dense(SparseTensorProto s, String file) {
    TensorProto v = s.getValues();
    TensorProto ix = s.getIndices();
    String name = v.getName();
    DataType type = DataType.ofCode(v.getDataType());
    if (type == null) {
      throw new ModelFormatException(file + ": sparse initializer '" + name + "' has element type "
          + DataType.nameOf(v.getDataType()) + ", which Shears cannot densify");
    }
    long count = 1;
    for (long d : s.getDimsList()) {
      if (d < 0) {
        throw new ModelFormatException(file + ": sparse initializer '" + name + "' has a negative dimension " + d);
      }
      count = d == 0 ? 0 : (count > (Integer.MAX_VALUE - 8) / d ? Integer.MAX_VALUE : count * d);
    }
    int size = type.bytes();
    if (count * size > Integer.MAX_VALUE - 8) {
      throw new ModelFormatException(file + ": sparse initializer '" + name + "' is too large to densify in memory");
    }
    long[] idx = longs(ix, file, name);
    ByteBuffer values = valueBytes(v, type, file, name);
    int rank = s.getDimsCount();
    boolean coordinates = ix.getDimsCount() == 2;
    if (ix.getDimsCount() > 2
        || coordinates && (ix.getDims(1) != rank || rank == 0 || idx.length % rank != 0
            || ix.getDims(0) != idx.length / rank)) {
      throw new ModelFormatException(file + ": sparse initializer '" + name + "' has indices of shape "
          + ix.getDimsList() + " that do not fit its rank " + rank + " and " + idx.length + " index values");
    }
    int nnz = coordinates ? idx.length / rank : idx.length;
    if (values.remaining() != (long) nnz * size) {
      throw new ModelFormatException(file + ": sparse initializer '" + name + "' has " + nnz
          + " indices but " + values.remaining() / size + " values");
    }
    byte[] out = new byte[(int) (count * size)];
    for (int i = 0; i < nnz; i++) {
      long at;
      if (coordinates) {
        at = 0;
        for (int a = 0; a < rank; a++) {
          long c = idx[i * rank + a];
          if (c < 0 || c >= s.getDims(a)) {
            throw new ModelFormatException(file + ": sparse initializer '" + name + "' has coordinate "
                + c + " outside dimension " + a + " of size " + s.getDims(a));
          }
          at = at * s.getDims(a) + c;
        }
      } else {
        at = idx[i];
      }
      if (at < 0 || at >= count) {
        throw new ModelFormatException(file + ": sparse initializer '" + name + "' has index " + at
            + " outside its " + count + " elements");
      }
      for (int k = 0; k < size; k++) {
        out[(int) at * size + k] = values.get(values.position() + i * size + k);
      }
    }
    TensorProto.Builder d = TensorProto.newBuilder().addAllDims(s.getDimsList()).setDataType(v.getDataType())
        .setName(name).setRawData(ByteString.copyFrom(out));
    if (v.hasDocString()) {
      d.setDocString(v.getDocString());
    }
    return d.build();
  }

  private static long[] longs(TensorProto ix, String file, String name) {
    if (ix.getDataType() != DataType.INT64.code()) {
      throw new ModelFormatException(file + ": sparse initializer '" + name + "' has "
          + DataType.nameOf(ix.getDataType()) + " indices; ONNX requires int64");
    }
    if (ix.hasRawData()) {
      ByteBuffer bb = ix.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      long[] out = new long[bb.remaining() / 8];
      bb.asLongBuffer().get(out);
      return out;
    }
    return ix.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
  }

  private static ByteBuffer valueBytes(TensorProto v, DataType type, String file, String name) {
    if (v.hasRawData()) {
      return v.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
    if (ExternalData.isExternal(v)) {
      throw new ModelFormatException(file + ": sparse initializer '" + name
          + "' keeps its values in external data, which Shears does not read");
    }
    // Typed fields (float_data and friends): float types only.
    ByteString bytes = TensorValues.encode(type, TensorValues.decodeFloats(java.nio.file.Path.of(file), v, null));
    return bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static Map<String, Integer> existingPositions(ModelProto model) {
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      if (e.getKey().equals(POSITIONS)) {
        try {
          Map<String, Integer> m = new LinkedHashMap<>();
          JSON.readTree(e.getValue()).fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().asInt()));
          return m;
        } catch (JsonProcessingException ex) {
          return Map.of();
        }
      }
    }
    return Map.of();
  }

  private static void setPositions(ModelProto.Builder b, Map<String, Integer> positions) {
    for (int i = b.getMetadataPropsCount() - 1; i >= 0; i--) {
      if (b.getMetadataProps(i).getKey().equals(POSITIONS)) {
        b.removeMetadataProps(i);
      }
    }
    if (positions.isEmpty()) {
      return;
    }
    Map<String, Integer> sorted = new LinkedHashMap<>();
    positions.entrySet().stream().sorted(Map.Entry.comparingByValue(Comparator.naturalOrder()))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    try {
      b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(POSITIONS)
          .setValue(JSON.writeValueAsString(sorted)));
    } catch (JsonProcessingException e) {
      throw new ShearsException("cannot record sparse initializer positions: " + e.getMessage(), e);
    }
  }
}
