package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: one line on stderr naming the problem, exit 1 or 2, no output file. */
class PruneErrorsTest {
  @TempDir Path tmp;
  static final String MODEL = BundledModels.tinyClip().resolve("model.onnx").toString();

  private void assertFails(int code, String expected, String... args) throws Exception {
    Path out = tmp.resolve("out.onnx");
    String[] full = new String[args.length + 3];
    System.arraycopy(args, 0, full, 0, args.length);
    full[args.length] = "--quiet";
    full[args.length + 1] = "-o";
    full[args.length + 2] = out.toString();
    if (Arrays.asList(args).contains("-o")) {
      full = Arrays.copyOf(args, args.length + 1);
      full[args.length] = "--quiet";
    }
    CliRun r = CliRun.of(full);
    assertEquals(code, r.exitCode(), r.err());
    String line = r.errorLine();
    assertTrue(line.contains(expected), "'" + line + "' should contain '" + expected + "'\n" + r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --verbose:\n" + r.err());
    assertFalse(Files.exists(out), "no output file");
    try (var files = Files.list(tmp)) {
      assertEquals(0, files.filter(f -> !f.getFileName().toString().startsWith("input")).count(),
          "no leftovers in the output folder");
    }
  }

  @Test
  void missingFile() throws Exception {
    assertFails(1, "no such file", "prune", tmp.resolve("nope.onnx").toString(), "--sparsity", "0.5");
  }

  @Test
  void notOnnx() throws Exception {
    Path text = tmp.resolve("input.onnx");
    Files.writeString(text, "this is not a model, just some text\n");
    assertFails(1, "input.onnx: is not an ONNX model", "prune", text.toString(), "--sparsity", "0.5");
  }

  @Test
  void truncatedOnnx() throws Exception {
    byte[] full = Files.readAllBytes(Path.of(MODEL));
    Path cut = tmp.resolve("input-cut.onnx");
    Files.write(cut, Arrays.copyOf(full, full.length / 2));
    assertFails(1, "input-cut.onnx: is truncated", "prune", cut.toString(), "--sparsity", "0.5");
  }

  @Test
  void sparsityOutOfRange() throws Exception {
    assertFails(2, "--sparsity must be in (0, 1), got 1.5", "prune", MODEL, "--sparsity", "1.5");
    assertFails(2, "--sparsity must be in (0, 1), got -0.1", "prune", MODEL, "--sparsity", "-0.1");
  }

  @Test
  void outputIntoMissingFolder() throws Exception {
    Path out = tmp.resolve("missing/out.onnx");
    CliRun r = CliRun.of("prune", MODEL, "--sparsity", "0.5", "-o", out.toString(), "--quiet");
    assertEquals(1, r.exitCode());
    assertTrue(r.errorLine().contains("does not exist"), r.err());
    assertFalse(Files.exists(out.getParent()));
  }

  @Test
  void unknownStrategiesListWhatIsAvailable() throws Exception {
    assertFails(2, "unknown scorer 'nope' (available: ", "prune", MODEL, "--sparsity", "0.5", "--scorer", "nope");
    assertFails(2, "magnitude", "prune", MODEL, "--sparsity", "0.5", "--scorer", "nope");
    assertFails(2, "unknown allocator 'nope' (available: ", "prune", MODEL, "--sparsity", "0.5", "--allocator", "nope");
  }

  @Test
  void excludeThatMatchesNothing() throws Exception {
    assertFails(2, "--exclude 'no-such-layer' matches no", "prune", MODEL, "--sparsity", "0.5",
        "--exclude", "no-such-layer");
  }

  @Test
  void badParameters() throws Exception {
    assertFails(2, "unknown parameter 'scorer.nope'", "prune", MODEL, "--sparsity", "0.5", "--param", "scorer.nope=1");
    assertFails(2, "parameter 'scorer.group' must be one of per-row, per-tensor", "prune", MODEL,
        "--sparsity", "0.5", "--param", "scorer.group=diagonal");
    assertFails(2, "--param foo", "prune", MODEL, "--sparsity", "0.5", "--param", "foo=1");
  }

  @Test
  void patternConflicts() throws Exception {
    assertFails(2, "conflicts with --pattern 2:4", "prune", MODEL, "--sparsity", "0.3", "--pattern", "2:4");
    assertFails(2, "--pattern: a sparsity pattern must be 'unstructured' or N:M with 0 < N < M (like 2:4), got '4:2'",
        "prune", MODEL, "--pattern", "4:2");
  }

  @Test
  void calibrationRequiredForWanda() throws Exception {
    assertFails(2, "scorer 'wanda' and allocator 'sensitivity' need calibration data (--calib PATH)", "prune", MODEL,
        "--sparsity", "0.5", "--scorer", "wanda");
  }

  @Test
  void missingSparsityIsAUsageError() throws Exception {
    assertFails(2, "--sparsity is required", "prune", MODEL);
  }

  @Test
  void verboseShowsTheStackTrace() {
    CliRun r = CliRun.of("prune", tmp.resolve("nope.onnx").toString(), "--sparsity", "0.5", "-o",
        tmp.resolve("o.onnx").toString(), "--verbose", "--quiet");
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("\tat "), r.err());
  }
}
