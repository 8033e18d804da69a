package dev.shears.core.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's file is unlinked while open: a killed run leaves nothing behind. */
class TensorStoreTest {
  @TempDir Path tmp;

  static long files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void fileIsUnlinkedWhileOpenAndDataStaysReadable() throws Exception {
    try (TensorStore store = new TensorStore(tmp)) {
      ByteBuffer a = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 1024; i++) {
        a.putFloat(i * 0.5f);
      }
      a.flip();
      store.put("a", a);
      assertEquals(0, files(tmp), "no file on disk while the store is open");
      store.put("b", ByteBuffer.wrap(new byte[] {1, 2, 3}));
      ByteBuffer back = store.get("a");
      assertEquals(4096, back.remaining());
      assertEquals(511.5f, back.getFloat(4 * 1023));
      assertEquals(3, store.get("b").get(2));
      assertNull(store.get("c"));
    }
    assertEquals(0, files(tmp));
  }
}
