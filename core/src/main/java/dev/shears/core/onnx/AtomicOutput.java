package dev.shears.core.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The crash-safe file transaction every output of Shears goes through (models, their external
 * data, reports, side files): write a locked temporary file in the target's folder, sync it,
 * move it into place in one step. A run killed at any point leaves the target as it was; the
 * next write to the same target removes the unlocked leftovers, and an interrupted process
 * removes its own ({@link #discardLive()}).
 */
public final class AtomicOutput {
  /** Suffix of temporary files, so that leftovers of a killed run can be recognised. */
  public static final String TEMP_SUFFIX = ".shears-tmp";

  private AtomicOutput() {}

  /**
   * Writes {@code content} to {@code target} atomically.
   *
   * @param target the file to replace or create; its folder must exist
   * @param content the whole new content
   */
  public static void write(Path target, byte[] content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    removeLeftovers(dir, target);
    List<Temp> temps = new ArrayList<>();
    try {
      Temp tmp = open(dir, target, temps);
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        tmp.channel().write(buf);
      }
      tmp.channel().force(true);
      moveIntoPlace(tmp.path(), target);
    } finally {
      for (Temp t : temps) {
        t.discard();
      }
    }
  }

  /** Copies {@code source} to {@code target} atomically (small files: read whole). */
  public static void copy(Path source, Path target) throws IOException {
    write(target, Files.readAllBytes(source));
  }

  /**
   * A temporary file being written, open and locked by this process. The lock tells a later run
   * that the file is in use (a run killed with SIGKILL loses its locks, and its leftovers become
   * removable); every write goes through the one channel, since on POSIX systems closing any other
   * descriptor of the file would drop the lock.
   */
  public record Temp(Path path, FileChannel channel) {
    /** Closes and deletes the file (after a move, only closes). */
    public void discard() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing a file we are about to delete
      }
      try {
        Files.deleteIfExists(path);
      } catch (IOException ignored) {
        // best effort: a leftover temp file is recognisable by its suffix and removed next time
      } finally {
        LIVE.remove(path);
      }
    }
  }

  /** Temporary files this JVM is writing; locks do not tell threads of one process apart. */
  private static final Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Deletes the temporary files this JVM is writing, for a process about to end on a signal: the
   * target files stay as they were (each is replaced only by an atomic move of a complete file).
   */
  public static void discardLive() {
    for (Path t : List.copyOf(LIVE)) {
      try {
        Files.deleteIfExists(t);
      } catch (IOException ignored) {
        // best effort: the next write to the same output removes it
      }
    }
  }

  /**
   * Removes temporary files that an earlier, killed run left for the same output: those named
   * {@code .<out>.*.shears-tmp} that no process holds a lock on. Files of other outputs, and files
   * a running process is still writing, are left alone.
   */
  public static void removeLeftovers(Path dir, Path out) {
    String prefix = "." + out.getFileName() + ".";
    try (var files = Files.newDirectoryStream(dir, f -> {
      String n = f.getFileName().toString();
      return n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX);
    })) {
      for (Path f : files) {
        Path abs = f.toAbsolutePath().normalize();
        if (LIVE.contains(abs) || !Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          java.nio.channels.FileLock lock = ch.tryLock();
          if (lock != null) {
            Files.deleteIfExists(f);
          }
        } catch (IOException | java.nio.channels.OverlappingFileLockException ignored) {
          // in use, or not ours to remove: leave it
        }
      }
    } catch (IOException ignored) {
      // listing failed: leftovers stay, and are still recognisable by their suffix
    }
  }

  /**
   * Creates and locks a temporary file beside {@code out}, named {@code .<out>.<random>.shears-tmp},
   * and adds it to {@code temps} (the caller discards them all when done).
   */
  public static Temp open(Path dir, Path out, List<Temp> temps) throws IOException {
    Path t = Files.createTempFile(dir, "." + out.getFileName() + ".", TEMP_SUFFIX).toAbsolutePath().normalize();
    LIVE.add(t);
    FileChannel ch = null;
    try {
      ch = FileChannel.open(t, StandardOpenOption.WRITE);
      ch.lock();
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      LIVE.remove(t);
      Files.deleteIfExists(t);
      throw e;
    }
    Temp temp = new Temp(t, ch);
    temps.add(temp);
    matchPermissions(t, out);
    return temp;
  }

  /**
   * createTempFile makes owner-only files; what replaces a file should get that file's
   * permissions, and a new file the usual rw-r--r--.
   */
  public static void matchPermissions(Path temp, Path target) throws IOException {
    Set<PosixFilePermission> perms = PosixFilePermissions.fromString("rw-r--r--");
    try {
      if (Files.exists(target)) {
        perms = Files.getPosixFilePermissions(target);
      }
      Files.setPosixFilePermissions(temp, perms);
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: keep the defaults
    }
  }

  /** Replaces {@code target} with {@code tmp} in one step where the file system allows. */
  public static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

}
