package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without {@code --allocator}, the default allocator's model is written only when its
 * calibration loss on the last samples is not above uniform's (ALGORITHM.md §4); both are
 * pruned with every sample.
 */
class AllocationGuardTest {
  static final Path TINY = BundledModels.tinyClip();

  @TempDir Path tmp;

  private static CliRun prune(Path out, int samples, String... extra) {
    List<String> args = new ArrayList<>(List.of("prune", TINY.resolve("model.onnx").toString(), "-o", out.toString(),
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", String.valueOf(samples),
        "--sparsity", "0.7", "--device", "cpu"));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void defaultsWriteTheBetterOfTheAllocatorAndUniform() throws Exception {
    Path out = tmp.resolve("guarded.onnx");
    Path report = tmp.resolve("guarded.json");
    CliRun r = prune(out, 64, "--report", report.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("allocation guard: sensitivity against uniform, both pruned with all 64 "
        + "calibration samples, scored by the contrastive loss on the last 16"), r.out());

    JsonNode search = new ObjectMapper().readTree(report.toFile()).get("search");
    assertEquals("guard", search.get("strategy").asText());
    assertEquals(64, search.get("fitSamples").asInt());
    assertEquals(16, search.get("heldOutSamples").asInt());
    JsonNode rows = search.get("candidates");
    assertEquals(2, rows.size());
    assertEquals("sensitivity", rows.get(0).get("allocator").asText());
    assertEquals("uniform", rows.get(1).get("allocator").asText());
    int winner = rows.get(0).get("winner").asBoolean() ? 0 : 1;
    assertTrue(rows.get(winner).get("winner").asBoolean());
    double kept = rows.get(winner).get("heldOutLoss").asDouble();
    double other = rows.get(1 - winner).get("heldOutLoss").asDouble();
    // the lower loss wins; a tie keeps the guarded allocator's model
    assertTrue(kept < other || kept == other && winner == 0, kept + " against " + other);
    assertEquals(rows.get(winner).get("allocator").asText(), search.get("winner").get("allocator").asText());

    // the file written is the one the kept allocator writes with every sample, named explicitly
    Path alone = tmp.resolve("alone.onnx");
    CliRun a = prune(alone, 64, "--allocator", rows.get(winner).get("allocator").asText(), "--quiet");
    assertEquals(0, a.exitCode(), a.err());
    assertFalse(a.out().contains("allocation guard"), a.out());
    assertArrayEquals(Files.readAllBytes(alone), Files.readAllBytes(out));
  }

  @Test
  void anExplicitAllocatorIsNotGuarded() throws Exception {
    Path report = tmp.resolve("explicit.json");
    CliRun r = prune(tmp.resolve("explicit.onnx"), 64, "--allocator", "sensitivity", "--report", report.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertFalse(r.out().contains("allocation guard"), r.out());
    JsonNode search = new ObjectMapper().readTree(report.toFile()).get("search");
    assertTrue(search == null || search.isNull(), String.valueOf(search));
  }

  @Test
  void allocatorParametersAreTheGuardedAllocatorsOnly() {
    // uniform takes no parameters: handing it sensitivity's would be refused
    CliRun r = prune(tmp.resolve("grid.onnx"), 64, "--param", "allocator.grid=-0.1,0,0.1");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("allocation guard: sensitivity against uniform"), r.out());
  }

  @Test
  void fewerSamplesThanOneLossBatchSkipTheGuard() throws Exception {
    Path out = tmp.resolve("few.onnx");
    CliRun r = prune(out, 8);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("allocation guard skipped: 8 calibration samples, fewer than one contrastive "
        + "loss batch (16)"), r.err());
    assertFalse(r.out().contains("allocation guard:"), r.out());
    Path alone = tmp.resolve("few-alone.onnx");
    assertEquals(0, prune(alone, 8, "--allocator", "sensitivity", "--quiet").exitCode());
    assertArrayEquals(Files.readAllBytes(alone), Files.readAllBytes(out));
  }

  @Test
  void noSearchWithoutAnAllocatorToGuard() {
    // N:M uses no allocator; magnitude + uniform reads no calibration data
    CliRun nm = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "-o", tmp.resolve("nm.onnx").toString(),
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", "32", "--pattern", "2:4", "--device", "cpu");
    assertEquals(0, nm.exitCode(), nm.err());
    assertFalse(nm.out().contains("allocation guard"), nm.out());
  }
}
