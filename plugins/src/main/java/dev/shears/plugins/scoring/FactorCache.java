package dev.shears.plugins.scoring;

import dev.shears.api.Layer;
import java.nio.DoubleBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Recently used Hessian factors of one SparseGPT run, by the Gram matrix they came from.
 *
 * <p>The factor is the costly part of SparseGPT on a wide layer (a Cholesky factorisation and
 * a triangular inverse, {@code O(n³)}, against {@code O(rows·n²)} for the pruning itself), and
 * the same Gram matrix comes back often: a block's Q, K and V projections read one activation,
 * and the {@code sensitivity} allocator prunes each block at several sparsities before the
 * fine stage prunes it once more. A factor depends only on the Gram matrix, the token count
 * and the dampening, so it is shared by exact equality of those (a hash finds the candidate,
 * a full comparison decides). Entries are kept least recently used first up to a byte budget;
 * two threads asking for the same factor at once compute it once.
 */
final class FactorCache {
  private final long budgetBytes;
  private final Map<Key, CompletableFuture<HessianFactor>> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  FactorCache(long budgetBytes) {
    this.budgetBytes = budgetBytes;
  }

  /** The factor of {@code layer}'s statistics with {@code dampening}, computed when missing. */
  HessianFactor factor(Layer layer, double dampening) {
    Key key = Key.of(layer, dampening);
    CompletableFuture<HessianFactor> mine = new CompletableFuture<>();
    CompletableFuture<HessianFactor> existing;
    synchronized (this) {
      existing = entries.get(key);
      if (existing == null) {
        if (key.bytes() * 2 > budgetBytes) {
          existing = null;  // too big to keep: computed below, not cached
        } else {
          entries.put(key, mine);
          bytes += key.bytes() * 2;  // the Gram copy in the key and the factor
          evict();
        }
      }
    }
    if (existing != null) {
      return existing.join();
    }
    try {
      HessianFactor f = HessianFactor.of(layer, dampening);
      mine.complete(f);
      return f;
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        if (entries.remove(key, mine)) {
          bytes -= key.bytes() * 2;
        }
      }
      mine.completeExceptionally(e);
      throw e;
    }
  }

  private void evict() {
    Iterator<Map.Entry<Key, CompletableFuture<HessianFactor>>> it = entries.entrySet().iterator();
    while (bytes > budgetBytes && it.hasNext()) {
      Map.Entry<Key, CompletableFuture<HessianFactor>> e = it.next();
      it.remove();
      bytes -= e.getKey().bytes() * 2;
    }
  }

  /** A Gram matrix with its token count and the dampening, compared by value. */
  private record Key(double[] gram, long tokens, double dampening, int hash) {
    static Key of(Layer layer, double dampening) {
      DoubleBuffer b = layer.inputGram().duplicate();
      double[] g = new double[b.remaining()];
      b.get(g);
      return new Key(g, layer.tokens(), dampening,
          31 * (31 * java.util.Arrays.hashCode(g) + Long.hashCode(layer.tokens())) + Double.hashCode(dampening));
    }

    long bytes() {
      return 8L * gram.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && k.tokens == tokens
          && Double.compare(k.dampening, dampening) == 0 && java.util.Arrays.equals(k.gram, gram);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
