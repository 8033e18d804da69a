package dev.shears.core.calibration.source;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parsed header of a {@code .npy} file, checked against the file length.
 *
 * @param dtype element type
 * @param shape dimensions, C order
 * @param dataOffset byte position of the first element
 */
record NpyHeader(NpyDtype dtype, long[] shape, long dataOffset) {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  /** numpy itself refuses headers this large; a bigger one means a corrupt length field. */
  private static final long MAX_HEADER = 1 << 20;

  private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*(['\"])(.*?)\\1");
  private static final Pattern DESCR_ANY = Pattern.compile("['\"]descr['\"]\\s*:\\s*([^,]*)");
  private static final Pattern FORTRAN =
      Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

  /** Elements per row along axis 0: the product of the other dimensions. */
  long rowElements() {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return n;
  }

  /** Reads and validates the header of an open file. */
  static NpyHeader read(FileChannel ch, Path file) throws IOException {
    long size = ch.size();
    ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, pre, 0);
    if (pre.position() < 10) {
      throw bad(file, "too short for a .npy header (" + size + " bytes)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (pre.get(i) != MAGIC[i]) {
        throw bad(file, "not a .npy file (bad magic)");
      }
    }
    int major = pre.get(6) & 0xff;
    long headerLen;
    int preamble;
    if (major == 1) {
      headerLen = pre.getShort(8) & 0xffff;
      preamble = 10;
    } else if (major == 2 || major == 3) {
      if (pre.position() < 12) {
        throw bad(file, "too short for a .npy version " + major + " header");
      }
      headerLen = pre.getInt(8) & 0xffffffffL;
      preamble = 12;
    } else {
      throw bad(file, "unsupported .npy format version " + major + "." + (pre.get(7) & 0xff));
    }
    if (headerLen > MAX_HEADER || preamble + headerLen > size) {
      throw bad(
          file, "header length " + headerLen + " does not fit in the file (" + size + " bytes)");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
    readFully(ch, hb, preamble);
    // Version 3 allows UTF-8 in field names; the fields we read are ASCII in every version.
    String header =
        new String(
            hb.array(),
            0,
            hb.position(),
            major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    long dataOffset = preamble + headerLen;
    return parse(header, file, dataOffset, size);
  }

  private static NpyHeader parse(String header, Path file, long dataOffset, long fileSize) {
    String h = header.strip();
    if (!h.startsWith("{") || !h.endsWith("}")) {
      throw bad(file, "header is not a Python dict: " + abbreviate(h));
    }
    Matcher m = DESCR.matcher(h);
    if (!m.find()) {
      Matcher any = DESCR_ANY.matcher(h);
      throw bad(
          file,
          any.find()
              ? "structured dtype " + abbreviate(any.group(1).strip()) + " is not supported"
              : "header has no 'descr'");
    }
    String descr = m.group(2);
    NpyDtype dtype = NpyDtype.fromDescr(descr);
    if (dtype == null) {
      String why = descr.startsWith(">") ? " (big-endian)" : "";
      throw bad(
          file,
          "dtype '" + descr + "'" + why + " is not supported (use <f4, <f8, <i8, <i4, |u1 or |b1)");
    }
    Matcher f = FORTRAN.matcher(h);
    if (!f.find()) {
      throw bad(file, "header has no 'fortran_order'");
    }
    if (f.group(1).equals("True")) {
      throw bad(file, "Fortran-order arrays are not supported; save with C order");
    }
    Matcher s = SHAPE.matcher(h);
    if (!s.find()) {
      throw bad(file, "header has no 'shape'");
    }
    long[] shape = parseShape(s.group(1), file);
    if (shape.length == 0) {
      throw bad(file, "is a scalar; calibration tensors need a sample axis");
    }
    long bytes;
    try {
      long n = 1;
      for (long d : shape) {
        n = Math.multiplyExact(n, d);
      }
      bytes = Math.multiplyExact(n, (long) dtype.itemSize());
    } catch (ArithmeticException e) {
      throw bad(file, "shape " + InputSpec.formatShape(shape) + " is too large");
    }
    long have = fileSize - dataOffset;
    if (have < bytes) {
      throw bad(
          file,
          "truncated: shape "
              + InputSpec.formatShape(shape)
              + " of "
              + dtype.descr()
              + " needs "
              + bytes
              + " data bytes, the file has "
              + have);
    }
    return new NpyHeader(dtype, shape, dataOffset);
  }

  private static long[] parseShape(String body, Path file) {
    String[] parts = body.split(",");
    int count = 0;
    long[] dims = new long[parts.length];
    for (String p : parts) {
      String t = p.strip();
      if (t.endsWith("L")) { // Python 2 longs
        t = t.substring(0, t.length() - 1);
      }
      if (t.isEmpty()) {
        continue;
      }
      try {
        long d = Long.parseLong(t);
        if (d < 0) {
          throw bad(file, "negative dimension " + d + " in shape (" + body + ")");
        }
        dims[count++] = d;
      } catch (NumberFormatException e) {
        throw bad(file, "bad shape (" + abbreviate(body) + ")");
      }
    }
    return java.util.Arrays.copyOf(dims, count);
  }

  /** Reads until the buffer is full or the file ends. */
  static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        return;
      }
      pos += n;
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  static CalibrationDataException bad(Path file, String problem) {
    return new CalibrationDataException(file + ": " + problem);
  }
}
