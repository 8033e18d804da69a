package dev.shears.core.progress;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Progress on stderr, so that stdout carries only results.
 *
 * <p>On a terminal each task is a bar redrawn in place, fitted to the terminal's width; when
 * stderr is a file or a pipe each task is two plain lines, one when it starts and one when it
 * ends (no carriage returns). Notes given before the first task starts are held back until it
 * does (or until {@link #release()}), so that a run failing before any work prints only its
 * error line.
 */
public final class ConsoleProgress implements Progress {
  /** How tasks are shown. */
  public enum Style {
    /** A bar redrawn in place with carriage returns: for a terminal. */
    BARS,
    /** One line when a task starts and one when it ends: for files and pipes. */
    LINES
  }

  /** Columns a bar keeps at least, when the label has to be shortened. */
  static final int MIN_BAR = 10;
  /** Columns a bar takes at most, however wide the terminal. */
  static final int MAX_BAR = 40;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter err;
  private final Style style;
  private final int columns;
  private final List<String> held = new ArrayList<>();
  private boolean working;
  private Bar active;

  /** Progress on the process's stderr: bars when it is a terminal, plain lines otherwise. */
  public ConsoleProgress(PrintStream err) {
    this(new PrintWriter(err, true));
  }

  /**
   * Progress printed on {@code err}, which writes to the process's stderr: bars fitted to the
   * terminal when stderr is one, plain lines otherwise.
   */
  public ConsoleProgress(PrintWriter err) {
    this(err, Terminal.stderrStyle(), -1);
  }

  /**
   * @param err where to print
   * @param style bars or plain lines
   * @param columns the terminal's width (bars only)
   */
  public ConsoleProgress(PrintWriter err, Style style, int columns) {
    this.err = err;
    this.style = style;
    this.columns = columns > 0 ? columns : style == Style.BARS ? Terminal.columns() : 80;
  }

  @Override
  public synchronized Task start(String task, long total) {
    release();
    if (style == Style.BARS) {
      Bar bar = new Bar(task, Math.max(0, total));
      active = bar;
      bar.draw(true);
      return bar;
    }
    err.println(task + " ... (" + total + " steps)");
    err.flush();
    long start = System.nanoTime();
    return new Task() {
      private long done;

      @Override
      public void step(long n) {
        synchronized (ConsoleProgress.this) {
          done += n;
        }
      }

      @Override
      public void close() {
        synchronized (ConsoleProgress.this) {
          err.println(task + (done >= total ? ": done" : ": stopped") + " (" + done + "/" + total + ", "
              + String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9) + ")");
          err.flush();
        }
      }
    };
  }

  @Override
  public synchronized void note(String line) {
    if (!working) {
      held.add(line);
      return;
    }
    if (active != null) {
      err.print("\r" + " ".repeat(Math.max(0, columns - 1)) + "\r");
    }
    err.println(line);
    if (active != null) {
      active.draw(true);
    }
    err.flush();
  }

  /** Prints the notes held back so far; from now on notes are printed at once. */
  public synchronized void release() {
    working = true;
    for (String line : held) {
      err.println(line);
    }
    held.clear();
    err.flush();
  }

  private final class Bar implements Task {
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;

    Bar(String label, long total) {
      this.label = label;
      this.total = total;
    }

    @Override
    public void step(long n) {
      synchronized (ConsoleProgress.this) {
        done += n;
        draw(done >= total);
      }
    }

    void draw(boolean force) {
      long now = System.nanoTime();
      if (!force && now - lastDraw < REDRAW_NANOS) {
        return;
      }
      lastDraw = now;
      err.print("\r" + barLine(label, done, total, now - start, columns));
      err.flush();
    }

    @Override
    public void close() {
      synchronized (ConsoleProgress.this) {
        draw(true);
        err.println();
        err.flush();
        if (active == this) {
          active = null;
        }
      }
    }
  }

  /**
   * One bar line, at most {@code columns - 1} characters: {@code label pct [====    ] done/total
   * m:ss}. The bar keeps at least {@value #MIN_BAR} columns and the count and time are always
   * whole; a label that does not fit is shortened in the middle. The fill is
   * {@code floor(width × done / total)}, the percentage {@code floor(100 × done / total)}, so both
   * agree with the count.
   */
  public static String barLine(String label, long done, long total, long elapsedNanos, int columns) {
    long d = Math.min(Math.max(done, 0), total);
    int pct = total == 0 ? 100 : (int) (100 * d / total);
    String count = " ".repeat(Math.max(0, Long.toString(total).length() - Long.toString(d).length())) + d + "/" + total;
    String head = String.format(Locale.ROOT, " %3d%% [", pct);
    String tail = "] " + count + " " + elapsed(elapsedNanos);
    int usable = Math.max(columns, 40) - 1;
    int room = usable - head.length() - tail.length();
    String shown = label;
    if (shown.length() > room - MIN_BAR) {
      shown = shorten(label, Math.max(room - MIN_BAR, 0));
    }
    int width = Math.min(MAX_BAR, Math.max(MIN_BAR, room - shown.length()));
    int filled = total == 0 ? width : (int) (width * d / total);
    return shown + head + "=".repeat(filled) + " ".repeat(width - filled) + tail;
  }

  /** The label in at most {@code max} characters: its start and end around "...". */
  static String shorten(String label, int max) {
    if (label.length() <= max) {
      return label;
    }
    if (max <= 3) {
      return label.substring(0, max);
    }
    int keep = max - 3;
    int end = Math.min(keep / 2, 16);
    return label.substring(0, keep - end) + "..." + label.substring(label.length() - end);
  }

  static String elapsed(long nanos) {
    long s = nanos / 1_000_000_000L;
    return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
