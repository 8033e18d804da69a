package dev.shears.core.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  static final String LONG = "Statistics /vision_model/encoder/layers.0 + 1 more";

  static int barWidth(String line) {
    int open = line.indexOf('[');
    int close = line.indexOf(']', open);
    return close - open - 1;
  }

  static int filled(String line) {
    return (int) line.substring(line.indexOf('[') + 1, line.indexOf(']')).chars().filter(c -> c == '=').count();
  }

  @Test
  void barFitsEightyColumnsWithALongLabel() {
    String line = ConsoleProgress.barLine(LONG + " and a much longer tail to shorten", 41, 48, 83_000_000_000L, 80);
    assertTrue(line.length() <= 79, line.length() + ": " + line);
    assertTrue(barWidth(line) >= ConsoleProgress.MIN_BAR, line);
    assertTrue(line.endsWith("] 41/48 1:23"), "count and time whole: " + line);
    assertTrue(line.contains("..."), "the label is shortened: " + line);
    assertTrue(line.startsWith("Statistics /vis"), line);
  }

  @Test
  void barAtOneHundredTwentyColumnsShowsTheWholeLabel() {
    String line = ConsoleProgress.barLine(LONG, 5, 16, 3_000_000_000L, 120);
    assertTrue(line.length() <= 119, line);
    assertTrue(line.startsWith(LONG + "  31% ["), line);
    assertTrue(line.endsWith("]  5/16 0:03"), line);
    assertEquals(ConsoleProgress.MAX_BAR, barWidth(line), line);
  }

  @Test
  void fillAgreesWithTheCount() {
    for (int cols : new int[] {40, 80, 120, 200}) {
      for (long done = 0; done <= 48; done++) {
        String line = ConsoleProgress.barLine(LONG, done, 48, 0, cols);
        int w = barWidth(line);
        assertEquals((int) (w * done / 48), filled(line), line);
        assertEquals(done == 48, filled(line) == w, "full only when done: " + line);
        assertTrue(line.contains(String.format("%3d%%", 100 * done / 48)), line);
        assertTrue(line.length() <= cols - 1 || cols < 40, line);
      }
    }
  }

  @Test
  void linesStyleHasNoCarriageReturnAndOneLinePerStageStartAndEnd() {
    StringWriter sw = new StringWriter();
    ConsoleProgress p = new ConsoleProgress(new PrintWriter(sw), ConsoleProgress.Style.LINES, 80);
    try (Progress.Task t = p.start("Zeroth-order queries", 192)) {
      for (int i = 0; i < 96; i++) {
        t.step(2);
      }
    }
    String out = sw.toString();
    assertFalse(out.contains("\r"), out);
    assertEquals(2, out.lines().count(), out);
    assertTrue(out.startsWith("Zeroth-order queries ... (192 steps)"), out);
    assertTrue(out.lines().toList().get(1).startsWith("Zeroth-order queries: done (192/192, "), out);
  }

  @Test
  void notesWaitForTheFirstTask() {
    StringWriter sw = new StringWriter();
    ConsoleProgress p = new ConsoleProgress(new PrintWriter(sw), ConsoleProgress.Style.LINES, 80);
    p.note("device: cpu");
    assertEquals("", sw.toString(), "held until work starts");
    p.start("Pruning", 1).close();
    assertTrue(sw.toString().startsWith("device: cpu"), sw.toString());
    p.note("later");
    assertTrue(sw.toString().endsWith("later" + System.lineSeparator()), sw.toString());
  }

  @Test
  void barsRedrawInPlaceAndEndWithANewline() {
    StringWriter sw = new StringWriter();
    ConsoleProgress p = new ConsoleProgress(new PrintWriter(sw), ConsoleProgress.Style.BARS, 80);
    try (Progress.Task t = p.start("Pruning", 3)) {
      t.step();
      t.step();
      t.step();
    }
    String out = sw.toString();
    assertTrue(out.startsWith("\rPruning"), out);
    assertTrue(out.endsWith("3/3 0:00" + System.lineSeparator()), out);
    for (String part : out.split("[\r\n]+")) {
      assertTrue(part.length() <= 79, part);
    }
  }
}
