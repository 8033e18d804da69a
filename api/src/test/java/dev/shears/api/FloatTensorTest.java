package dev.shears.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

/** A loss cannot change a tensor that later loss queries share, through any accessor. */
class FloatTensorTest {
  private final FloatTensor t = FloatTensor.of(new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5});

  @Test
  void shapeIsACopy() {
    t.shape()[0] = 7;
    assertArrayEquals(new long[] {2, 3}, t.shape());
    assertEquals(2, t.dim(0));
  }

  @Test
  void theShapeGivenIsCopied() {
    long[] shape = {2, 3};
    FloatTensor u = FloatTensor.of(shape, new float[6]);
    shape[0] = 3;
    shape[1] = 2;
    assertArrayEquals(new long[] {2, 3}, u.shape());
  }

  @Test
  void valuesAreAReadOnlyView() {
    FloatBuffer v = t.values();
    assertTrue(v.isReadOnly());
    assertEquals(0, v.position());
    assertEquals(6, v.remaining());
    assertEquals(4f, v.get(4));
    assertThrows(ReadOnlyBufferException.class, () -> v.put(4, 9f));
    assertThrows(ReadOnlyBufferException.class, () -> v.put(9f));
    assertThrows(ReadOnlyBufferException.class, () -> v.array());
    assertEquals(4f, t.get(4));
  }

  @Test
  void toArrayIsACopy() {
    float[] a = t.toArray();
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, a);
    a[4] = 9f;
    assertEquals(4f, t.get(4));
  }

  @Test
  void getReadsRowMajor() {
    assertEquals(6, t.size());
    assertEquals(5f, t.get(5));
    assertEquals(3f, t.get(1, 0));
    assertEquals(5f, t.get(1, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> t.get(6));
    // A column past the row's end is refused rather than read from the next row.
    assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 3));
    assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
    FloatTensor cube = FloatTensor.of(new long[] {1, 2, 3}, new float[6]);
    assertThrows(IllegalStateException.class, () -> cube.get(0, 1));
  }

  @Test
  void aLengthThatDoesNotFitTheShapeIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FloatTensor.of(new long[] {2, 3}, new float[5]));
    assertEquals("shape [2, 3] does not hold 5 values", e.getMessage());
  }
}
