package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress as a child process shows it: plain stage lines when stderr is a file, nothing with
 * --quiet, and bars fitted to the width under a pseudo-terminal.
 */
// slow (child JVMs): "mvn -Pfast" leaves it out while developing; the default run and CI keep it
@Tag("slow")
class ProgressOutputTest {
  static final Path TINY = BundledModels.tinyClip();

  @TempDir Path tmp;

  static List<String> java(String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
        ShearsCommand.class.getName()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  String[] prune(String out, String... extra) {
    List<String> a = new ArrayList<>(List.of("prune", TINY.resolve("model.onnx").toString(), "-o", out,
        "--sparsity", "0.5", "--allocator", "ecoflap", "--scorer", "wanda", "--mode", "sequential",
        "--param", "allocator.samples=8", "--calib",
        TINY.resolve("calib").toString(), "--calib-samples", "32"));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  String run(List<String> cmd, Path err) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(err.toFile());
    pb.environment().remove("SHEARS_PROGRESS");
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    String text = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    return text;
  }

  @Test
  void redirectedStderrGetsStageLinesWithoutCarriageReturns() throws Exception {
    String err = run(java(prune(tmp.resolve("a.onnx").toString())), tmp.resolve("err.txt"));
    assertFalse(err.contains("\r"), err);
    assertTrue(err.contains("Zeroth-order queries ... ("), err);
    assertTrue(err.contains("Zeroth-order queries: done ("), err);
    assertTrue(err.lines().anyMatch(l -> l.startsWith("Statistics ") && l.contains(": done (")), err);
    // the zeroth-order count is the report's query count
    String zo = err.lines().filter(l -> l.startsWith("Zeroth-order queries: done (")).findFirst().orElseThrow();
    String count = zo.substring(zo.indexOf('(') + 1, zo.indexOf('/'));
    Path report = tmp.resolve("r.json");
    run(java(prune(tmp.resolve("b.onnx").toString(), "--report", report.toString(), "--quiet")),
        tmp.resolve("err2.txt"));
    assertTrue(Files.readString(report).replace(" ", "").contains("\"queries\":" + count), count + " in the report");
  }

  @Test
  void quietPrintsNothing() throws Exception {
    String err = run(java(prune(tmp.resolve("q.onnx").toString(), "--quiet")), tmp.resolve("err.txt"));
    assertEquals("", err);
  }

  @Test
  void barsUnderAPseudoTerminalFitItsWidth() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "no script(1) for a pseudo-terminal");
    for (int cols : new int[] {80, 120}) {
      String inner = String.join(" ", java(prune(tmp.resolve("t" + cols + ".onnx").toString())).stream()
          .map(s -> "'" + s.replace("'", "'\\''") + "'").toList()) + " >/dev/null";
      ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-qec", inner, "/dev/null")
          .redirectErrorStream(true);
      pb.environment().put("COLUMNS", Integer.toString(cols));
      pb.environment().remove("SHEARS_PROGRESS");
      Process p = pb.start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), text);
      List<String> bars = List.of(text.split("[\r\n]+")).stream().filter(l -> l.contains("% [")).toList();
      assertFalse(bars.isEmpty(), text);
      for (String b : bars) {
        assertTrue(b.length() <= cols - 1, cols + " columns: " + b.length() + ": " + b);
        assertTrue(b.matches(".* \\d+/\\d+ \\d+:\\d\\d"), "count and time whole: " + b);
      }
    }
  }
}
