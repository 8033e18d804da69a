package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.onnx.ModelWriter;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prune -o DIR/} writes a model folder a user can hand on; eval says when side files are missing. */
class ModelFolderTest {
  static final Path TINY = BundledModels.tinyClip();
  static final String MODEL = TINY.resolve("model.onnx").toString();
  static final String EVAL = TINY.resolve("eval").toString();
  static final String[] DATA_FREE = {"--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "--quiet"};

  @TempDir Path tmp;

  static CliRun prune(String out, String... extra) {
    String[] args = Stream.of(new String[] {"prune", MODEL, "-o", out}, DATA_FREE, extra)
        .flatMap(Stream::of).toArray(String[]::new);
    return CliRun.of(args);
  }

  static Set<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(f -> f.getFileName().toString()).toList());
    }
  }

  @Test
  void trailingSlashWritesAModelFolderThatEvaluatesAsIs() throws Exception {
    Path dir = tmp.resolve("pruned");
    CliRun r = prune(dir + "/");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("wrote " + dir.resolve("model.onnx")), r.out());
    assertTrue(r.out().contains("copied config.json, preprocessor_config.json, tokenizer.json"), r.out());
    assertEquals(Set.of("model.onnx", "config.json", "preprocessor_config.json", "tokenizer.json",
        "tokenizer_config.json", "special_tokens_map.json"), names(dir));
    for (String f : new String[] {"tokenizer.json", "preprocessor_config.json"}) {
      assertEquals(-1L, Files.mismatch(TINY.resolve(f), dir.resolve(f)), f);
    }
    CliRun e = CliRun.of("eval", dir.resolve("model.onnx").toString(), "--data", EVAL, "--limit", "16", "--quiet");
    assertEquals(0, e.exitCode(), e.err());
    // again into the same folder: replaced, nothing left over
    assertEquals(0, prune(dir + "/").exitCode());
    assertFalse(names(dir).stream().anyMatch(n -> n.endsWith(ModelWriter.TEMP_SUFFIX)), names(dir).toString());
  }

  @Test
  void evalOfAModelWrittenAloneAsksForModelDir() throws Exception {
    Path alone = tmp.resolve("alone.onnx");
    assertEquals(0, prune(alone.toString()).exitCode());
    CliRun e = CliRun.of("eval", alone.toString(), "--data", EVAL, "--limit", "16");
    assertEquals(2, e.exitCode(), e.err());
    assertEquals(1, e.err().lines().filter(l -> !l.isBlank()).count(), e.err());
    assertTrue(e.errorLine().contains("no tokenizer.json or preprocessor_config.json beside it"), e.err());
    assertTrue(e.errorLine().contains("give --model-dir DIR"), e.err());
    CliRun ok = CliRun.of("eval", alone.toString(), "--data", EVAL, "--limit", "16", "--model-dir", TINY.toString(),
        "--quiet");
    assertEquals(0, ok.exitCode(), ok.err());
  }

  @Test
  void badFoldersAreRefusedAndAFailedRunLeavesNoFolder() throws Exception {
    CliRun r = prune(tmp.resolve("missing/sub") + "/");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.errorLine().contains("does not exist"), r.err());
    Path file = Files.writeString(tmp.resolve("file"), "x");
    r = prune(file + "/");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.errorLine().contains("is a file, not a folder"), r.err());
    r = prune(TINY + "/");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.errorLine().contains("is MODEL's own folder"), r.err());
    Path fresh = tmp.resolve("fresh");
    r = prune(fresh + "/", "--exclude", "no-such-layer");
    assertEquals(2, r.exitCode(), r.err());
    assertFalse(Files.exists(fresh), "the folder made for the run is removed when it fails");
  }
}
