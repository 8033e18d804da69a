package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.testdata.BundledModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user reads when something is wrong: one line, the right exit code, before any work. */
class MessagesTest {
  static final Path TINY = BundledModels.tinyClip();
  static final String MODEL = TINY.resolve("model.onnx").toString();
  static final String CALIB = TINY.resolve("calib").toString();

  @TempDir Path tmp;

  /** The non-blank stderr lines. */
  static List<String> lines(CliRun r) {
    return r.err().lines().filter(l -> !l.isBlank()).toList();
  }

  /** Exit code, exactly one stderr line (no note, no device line: nothing ran), containing {@code expected}. */
  static String assertOneLine(int code, String expected, String... args) {
    CliRun r = CliRun.of(args);
    assertEquals(code, r.exitCode(), r.err());
    List<String> lines = lines(r);
    assertEquals(1, lines.size(), "one line only:\n" + r.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("shears: error: "), line);
    assertTrue(line.contains(expected), "'" + line + "' should contain '" + expected + "'");
    assertFalse(line.contains("Exception"), line);
    return line;
  }

  @Test
  void zeroSparsityIsRefusedUpFront() throws Exception {
    Path out = tmp.resolve("out.onnx");
    assertOneLine(2, "--sparsity must be in (0, 1), got 0.0", "prune", MODEL, "--sparsity", "0", "-o", out.toString(),
        "--calib", CALIB);
    assertFalse(Files.exists(out));
  }

  @Test
  void outputThatIsAFolderIsRefusedUpFront() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("existing"));
    String line = assertOneLine(2, "-o " + dir + ": is a folder; give the file to write", "prune", MODEL,
        "--sparsity", "0.5", "-o", dir.toString(), "--calib", CALIB);
    assertFalse(line.contains("shears-tmp"), line);
    assertOneLine(2, "-o " + dir + ": is a folder", "densify", MODEL, "-o", dir.toString());
    try (var s = Files.list(dir)) {
      assertEquals(0, s.count(), "nothing written into the folder");
    }
  }

  @Test
  void onlyTheStrategyThatNeedsDataIsNamed() {
    String out = tmp.resolve("o.onnx").toString();
    String line = assertOneLine(2, "allocator 'sensitivity' needs calibration data (--calib PATH)", "prune", MODEL,
        "--sparsity", "0.5", "--scorer", "magnitude", "-o", out);
    assertFalse(line.contains("scorer"), line);
    line = assertOneLine(2, "scorer 'sparsegpt' needs calibration data (--calib PATH)", "prune", MODEL,
        "--sparsity", "0.5", "--allocator", "uniform", "-o", out);
    assertFalse(line.contains("allocator"), line);
    assertOneLine(2, "scorer 'sparsegpt' and allocator 'sensitivity' need calibration data", "prune", MODEL,
        "--sparsity", "0.5", "-o", out);
    // an N:M pattern does not use the allocator
    assertOneLine(2, "scorer 'sparsegpt' needs calibration data", "prune", MODEL, "--pattern", "2:4",
        "--scorer", "sparsegpt", "-o", out);
  }

  @Test
  void negativeRefitStepsNameTheParameter() {
    String out = tmp.resolve("o.onnx").toString();
    String calib = BundledModels.tinyClip().resolve("calib").toString();
    for (String name : new String[] {"refit", "measurementRefit"}) {
      assertOneLine(2, "parameter 'scorer." + name + "' must be >= 0, got -1", "prune", MODEL, "--sparsity", "0.5",
          "--allocator", "uniform", "--calib", calib, "--param", "scorer." + name + "=-1", "-o", out);
    }
  }

  @Test
  void missingRequiredArgumentIsSaidOnce() {
    CliRun r = CliRun.of("prune", MODEL, "--sparsity", "0.5");
    assertEquals(2, r.exitCode());
    assertTrue(r.errorLine().startsWith("shears: error: Missing required argument"), r.err());
    assertFalse(r.err().contains("Error: "), r.err());
    CliRun e = CliRun.of("eval", MODEL);
    assertEquals(2, e.exitCode());
    assertFalse(e.err().contains("Error: "), e.err());
  }

  @Test
  void misspelledFlagsAndNamesGetASuggestion() {
    String out = tmp.resolve("o.onnx").toString();
    CliRun r = CliRun.of("prune", MODEL, "--sparsty", "0.5", "-o", out);
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.errorLine().contains("did you mean --sparsity?"), r.err());
    r = CliRun.of("prnue", MODEL);
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.errorLine().contains("did you mean prune?"), r.err());
    assertOneLine(2, "unknown scorer 'wandaa' (available: ", "prune", MODEL, "--sparsity", "0.5", "--scorer", "wandaa",
        "-o", out);
    assertOneLine(2, "did you mean 'wanda'?", "prune", MODEL, "--sparsity", "0.5", "--scorer", "wandaa", "-o", out);
    assertOneLine(2, "did you mean 'ecoflap'?", "prune", MODEL, "--sparsity", "0.5", "--allocator", "ecoflp",
        "-o", out);
    String far = assertOneLine(2, "unknown allocator 'zzzzzz'", "prune", MODEL, "--sparsity", "0.5",
        "--allocator", "zzzzzz", "-o", out);
    assertFalse(far.contains("did you mean"), far);
  }

  @Test
  void moreCalibrationSamplesThanThereAreIsSaidOnce() {
    CliRun r = CliRun.of("prune", MODEL, "--sparsity", "0.5", "--allocator", "uniform", "--mode", "one-shot",
        "--calib", CALIB, "--calib-samples", "1000", "-o", tmp.resolve("o.onnx").toString());
    assertEquals(0, r.exitCode(), r.err());
    List<String> said = r.err().lines().filter(l -> l.contains("1000")).toList();
    assertEquals(1, said.size(), r.err());
    assertTrue(said.get(0).contains("calibration: 256 samples") && said.get(0).contains("all 256 are used"), said.get(0));
  }

  @Test
  void countsAndDefaultsReadWell() {
    CliRun r = CliRun.of("inspect", MODEL);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("of 2 towers"), r.out());
    Path miniLm = BundledModels.miniLm(Path.of("target/minilm"));
    if (miniLm != null) {
      CliRun m = CliRun.of("inspect", miniLm.toString());
      assertTrue(m.out().contains("of 1 tower,"), m.out());
      assertFalse(m.out().contains("1 towers"), m.out());
    }
    CliRun p = CliRun.of("plugins");
    assertEquals(0, p.exitCode(), p.err());
    assertFalse(p.out().contains("(default )"), p.out());
  }

  @Test
  void helpPrintsNoPicocliWarning() {
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    CliRun r;
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      r = CliRun.of("--help");
    } finally {
      System.setErr(saved);
    }
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("at 50% (ECoFLaP"), r.out());
    assertFalse(captured.toString(StandardCharsets.UTF_8).contains("WARN"), captured.toString(StandardCharsets.UTF_8));
    assertFalse(r.err().contains("WARN"), r.err());
  }

  @Test
  void aRunFailingBeforeWorkPrintsNoDeviceLine() throws Exception {
    Path calib = Files.createDirectories(tmp.resolve("calib"));
    Files.writeString(calib.resolve("pixel_values.npy"), "not an npy file");
    CliRun r = CliRun.of("prune", MODEL, "--sparsity", "0.5", "--allocator", "uniform", "--calib", calib.toString(),
        "-o", tmp.resolve("o.onnx").toString());
    assertEquals(1, r.exitCode(), r.err());
    assertEquals(1, lines(r).size(), r.err());
    assertTrue(r.errorLine().contains("pixel_values.npy"), r.err());
  }

  @Test
  void aFailingEvalPrintsNoDeviceLine() throws Exception {
    Path eval = Files.createDirectories(tmp.resolve("eval"));
    Files.copy(TINY.resolve("eval/prompts.json"), eval.resolve("prompts.json"));
    Files.writeString(eval.resolve("labels.jsonl"),
        Files.readAllLines(TINY.resolve("eval/labels.jsonl")).get(0) + "\n");
    Files.writeString(eval.resolve("00000.png"), "not an image");
    CliRun r = CliRun.of("eval", MODEL, "--data", eval.toString());
    assertEquals(1, r.exitCode(), r.err());
    assertEquals(1, lines(r).size(), r.err());
    assertTrue(r.errorLine().contains("00000.png"), r.err());
  }

  @Test
  void textModelOnAnImageFolderIsRefusedAtOnce() {
    Path miniLm = BundledModels.miniLm(Path.of("target/minilm"));
    org.junit.jupiter.api.Assumptions.assumeTrue(miniLm != null, "MiniLM is not on the class path");
    long start = System.nanoTime();
    assertOneLine(2, "has no image input", "eval", miniLm.toString(), "--data", TINY.resolve("eval").toString());
    assertTrue(System.nanoTime() - start < 20_000_000_000L, "refused at once");
  }

  @Test
  void sparseStorageFilesPointToDensify() throws Exception {
    Path sparse = tmp.resolve("sparse.onnx");
    CliRun w = CliRun.of("prune", MODEL, "--sparsity", "0.8", "--scorer", "magnitude", "--allocator", "uniform",
        "--storage", "sparse", "-o", sparse.toString(), "--quiet");
    assertEquals(0, w.exitCode(), w.err());
    assertOneLine(1, "holds 48 sparse initializers (written with --storage sparse)", "inspect", sparse.toString());
    assertOneLine(1, "run 'shears densify", "inspect", sparse.toString());
    assertOneLine(1, "run 'shears densify", "prune", sparse.toString(), "--sparsity", "0.5", "--scorer", "magnitude",
        "--allocator", "uniform", "-o", tmp.resolve("again.onnx").toString(), "--quiet");
  }

  @Test
  void nOfMWithAnUnevenWidthSaysTrailingColumnsStayDense() {
    CliRun r = CliRun.of("prune", MODEL, "--pattern", "3:5", "--scorer", "magnitude",
        "-o", tmp.resolve("o.onnx").toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("--pattern 3:5: 48 of 48 tensors have an input width that is not a multiple of 5"),
        r.err());
    assertTrue(r.err().contains("stay dense"), r.err());
  }
}
