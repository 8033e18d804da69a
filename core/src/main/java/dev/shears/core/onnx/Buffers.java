package dev.shears.core.onnx;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Releases memory-mapped and direct buffers as soon as Shears is done with them, instead of
 * whenever the garbage collector gets to them: a multi-gigabyte model is read tensor by
 * tensor, and mapped pages left for the collector would count against the process's memory
 * until then. Uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported), the
 * standard way to unmap a buffer on Java 9+; where it is missing this does nothing.
 */
public final class Buffers {
  private static final Object UNSAFE;
  private static final Method INVOKE_CLEANER;

  static {
    Object unsafe = null;
    Method cleaner = null;
    try {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      unsafe = f.get(null);
      cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // not available: buffers are released by the garbage collector
    }
    UNSAFE = unsafe;
    INVOKE_CLEANER = cleaner;
  }

  private Buffers() {}

  /**
   * Unmaps or frees {@code buffer} now. Only for a buffer this code created (not a slice or
   * duplicate) that nothing will touch again; anything else is left to the collector.
   */
  public static void release(ByteBuffer buffer) {
    if (buffer == null || !buffer.isDirect() || INVOKE_CLEANER == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invoke(UNSAFE, buffer);
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      // a slice or duplicate, or already released: leave it to the collector
    }
  }
}
