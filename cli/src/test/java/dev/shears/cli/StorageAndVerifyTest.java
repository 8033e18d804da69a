package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageAndVerifyTest {
  static final Path TINY = BundledModels.tinyClip();
  @TempDir Path tmp;

  private Cli prune(Path out, String... extra) {
    String[] base = {"prune", TINY.resolve("model.onnx").toString(), "-o", out.toString(), "--sparsity", "0.5",
        "--scorer", "magnitude", "--allocator", "uniform", "--quiet"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return Cli.run(all);
  }

  @Test
  void sparseThenDensifyGivesTheDenseFile() throws Exception {
    Path dense = tmp.resolve("dense.onnx");
    Path sparse = tmp.resolve("sparse.onnx");
    Path back = tmp.resolve("back.onnx");
    assertEquals(0, prune(dense).code());
    Cli s = prune(sparse, "--storage", "sparse");
    assertEquals(0, s.code(), s.err());
    Cli d = Cli.run("densify", sparse.toString(), "-o", back.toString());
    assertEquals(0, d.code(), d.err());
    assertTrue(d.out().contains("densified 48 sparse initializers"), d.out());
    assertArrayEquals(Files.readAllBytes(dense), Files.readAllBytes(back));
  }

  @Test
  void verifyPrintsFidelityAndPutsItInTheHtmlReport() throws Exception {
    Path out = tmp.resolve("p.onnx");
    Path report = tmp.resolve("report.html");
    Cli r = prune(out, "--verify", "--calib", TINY.resolve("calib").toString(), "--calib-samples", "8",
        "--report", report.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("loads in ONNX Runtime") && r.out().contains("image_embeds"), r.out());
    String html = Files.readString(report);
    assertTrue(html.contains("<h2>Fidelity</h2>") && html.contains("logits_per_image"), "fidelity in the report");
  }

  /** In place, the comparison is with the original model, taken before it is replaced. */
  @Test
  void verifyInPlaceComparesWithTheOriginalNotItself() throws Exception {
    Path model = tmp.resolve("in-place.onnx");
    Files.copy(TINY.resolve("model.onnx"), model);
    Path report = tmp.resolve("in-place.json");
    Cli r = Cli.run("prune", model.toString(), "--in-place", "--sparsity", "0.5", "--scorer", "magnitude",
        "--allocator", "uniform", "--verify", "--calib", TINY.resolve("calib").toString(), "--calib-samples", "8",
        "--model-dir", TINY.toString(), "--report", report.toString(), "--quiet");
    assertEquals(0, r.code(), r.err());
    var fidelity = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.toFile()).get("fidelity");
    double cosine = fidelity.get("image_embeds").get("cosine").asDouble();
    assertTrue(cosine < 0.9999 && cosine > 0.5, "pruned against the original, not itself: cosine " + cosine);
    assertTrue(fidelity.get("image_embeds").get("maxAbsDiff").asDouble() > 0);
  }

  @Test
  void verifyWithoutCalibrationDataIsAUsageError() {
    Cli r = prune(tmp.resolve("p.onnx"), "--verify");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--verify"), r.err());
  }

  @Test
  void unknownStorageIsAUsageError() {
    assertEquals(2, prune(tmp.resolve("p.onnx"), "--storage", "csr").code());
  }
}
