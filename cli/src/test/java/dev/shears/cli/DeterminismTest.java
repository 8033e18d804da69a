package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Same model, data, options and seed: byte-identical output and the same report apart from
 * timings, whatever the number of threads. Each run is a child JVM that sees 1 or 2 processors
 * ({@code -XX:ActiveProcessorCount}), which sets both ONNX Runtime's intra-op threads and the
 * common fork-join pool that the scorers' parallel loops use.
 */
// slow (child JVMs): "mvn -Pfast" leaves it out while developing; the default run and CI keep it
@Tag("slow")
class DeterminismTest {
  static final Path TINY = BundledModels.tinyClip();

  @TempDir Path tmp;

  /** Runs prune in a child JVM inside {@code dir}, with relative output paths so reports match. */
  static void prune(Path dir, int cpus, String allocator, String scorer) throws Exception {
    Files.createDirectories(dir);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=" + cpus,
        "-Xmx2g", "-cp", System.getProperty("java.class.path"),
        ShearsCommand.class.getName(), "prune", TINY.resolve("model.onnx").toString(),
        "-o", "out.onnx", "--report", "report.json", "--quiet",
        "--sparsity", "0.5", "--allocator", allocator, "--scorer", scorer,
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", "16", "--batch-size", "8",
        "--device", "cpu", "--seed", "7"));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("log.txt").toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("prune with " + cpus + " cpus timed out");
    }
    assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log.txt"), StandardCharsets.UTF_8));
  }

  /**
   * The report without what may differ between runs: timings, the machine's processor count, and
   * the zeroth-order estimator's cost ratio {@code forwardEquivalentsPerQuery}, which is measured
   * wall time (a query's time over a forward pass's).
   */
  static ObjectNode comparable(Path report) throws IOException {
    ObjectNode r = (ObjectNode) new ObjectMapper().readTree(report.toFile());
    r.remove("timingsSeconds");
    if (r.get("environment") instanceof ObjectNode env) {
      env.remove("cpus");
    }
    for (JsonNode zo : r.findParents("forwardEquivalentsPerQuery")) {
      ((ObjectNode) zo).remove("forwardEquivalentsPerQuery");
    }
    return r;
  }

  @ParameterizedTest(name = "{0} + {1}")
  @CsvSource({"uniform, wanda", "ecoflap, wanda", "uniform, sparsegpt"})
  void sameBytesWithOneOrTwoThreads(String allocator, String scorer) throws Exception {
    Path one = tmp.resolve("one");
    Path two = tmp.resolve("two");
    prune(one, 1, allocator, scorer);
    prune(two, 2, allocator, scorer);
    assertArrayEquals(Files.readAllBytes(one.resolve("out.onnx")), Files.readAllBytes(two.resolve("out.onnx")),
        "the pruned models differ between 1 and 2 threads");
    List<String> a = comparable(one.resolve("report.json")).toPrettyString().lines().toList();
    List<String> b = comparable(two.resolve("report.json")).toPrettyString().lines().toList();
    StringBuilder diff = new StringBuilder();
    for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
      String x = i < a.size() ? a.get(i) : "";
      String y = i < b.size() ? b.get(i) : "";
      if (!x.equals(y)) {
        diff.append("\n  line ").append(i + 1).append(": ").append(x.strip()).append("  vs  ").append(y.strip());
      }
    }
    assertEquals("", diff.toString(), "the reports differ beyond timings");
  }
}
