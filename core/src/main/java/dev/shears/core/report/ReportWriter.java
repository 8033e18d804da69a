package dev.shears.core.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shears.core.ShearsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes reports atomically like models: JSON, or for a {@link PruneReport} written to a file
 * ending in {@code .html} or {@code .htm}, a self-contained HTML page ({@link HtmlReport}).
 */
public final class ReportWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ReportWriter() {}

  public static String toJson(Object report) {
    try {
      return JSON.writeValueAsString(report);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether a report file name asks for HTML ({@code .html} or {@code .htm}, any case). */
  public static boolean isHtml(Path file) {
    String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".html") || n.endsWith(".htm");
  }

  public static void write(Object report, Path file) {
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new ShearsException("--report " + file + ": the folder " + dir + " does not exist");
    }
    try {
      Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".shears-tmp");
      try {
        dev.shears.core.onnx.ModelWriter.matchPermissions(tmp, file);
        Files.writeString(tmp, isHtml(file) && report instanceof PruneReport p
            ? HtmlReport.render(p) : toJson(report) + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new ShearsException("--report " + file + ": cannot write (" + e.getMessage() + ")", e);
    }
  }
}
