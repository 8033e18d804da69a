package dev.shears.core.progress;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Whether stderr is a terminal, and how wide it is. */
public final class Terminal {
  private Terminal() {}

  /**
   * Bars when stderr is a terminal, plain lines otherwise; the environment variable
   * {@code SHEARS_PROGRESS=bars|lines} overrides the choice.
   */
  public static ConsoleProgress.Style stderrStyle() {
    String forced = System.getenv("SHEARS_PROGRESS");
    if ("bars".equals(forced)) {
      return ConsoleProgress.Style.BARS;
    }
    if ("lines".equals(forced)) {
      return ConsoleProgress.Style.LINES;
    }
    return stderrIsTerminal() ? ConsoleProgress.Style.BARS : ConsoleProgress.Style.LINES;
  }

  /** Whether file descriptor 2 is a terminal (Linux: /proc/self/fd/2; elsewhere: a console). */
  public static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  /** The terminal's width: {@code COLUMNS}, else {@code stty size} on /dev/tty, else 80. */
  public static int columns() {
    int env = parse(System.getenv("COLUMNS"));
    if (env > 0) {
      return env;
    }
    File tty = new File("/dev/tty");
    if (tty.exists()) {
      try {
        Process p = new ProcessBuilder("stty", "size").redirectInput(tty)
            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor(1, TimeUnit.SECONDS)) {
          String[] parts = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split("\\s+");
          int cols = parts.length == 2 ? parse(parts[1]) : -1;
          if (cols > 0) {
            return cols;
          }
        } else {
          p.destroyForcibly();
        }
      } catch (IOException e) {
        // no stty: the default
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return 80;
  }

  private static int parse(String s) {
    try {
      return s == null ? -1 : Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
