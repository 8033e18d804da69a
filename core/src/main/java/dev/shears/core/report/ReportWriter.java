package dev.shears.core.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shears.core.ShearsException;
import dev.shears.core.onnx.AtomicOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;

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
      String text = isHtml(file) && report instanceof PruneReport p ? HtmlReport.render(p) : toJson(report) + "\n";
      AtomicOutput.write(file, text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ShearsException("--report " + file + ": cannot write (" + e.getMessage() + ")", e);
    }
  }
}
