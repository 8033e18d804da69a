package dev.shears.core;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.shears.testdata.BundledModels;
import java.nio.file.Path;

/** The real models tests run on. */
public final class TestModels {
  private TestModels() {}

  public static Path tinyClip() {
    return BundledModels.tinyClip().resolve("model.onnx");
  }

  /** The MiniLM calibration sentences, copied out of the testdata jar into {@code dir}. */
  public static Path miniLmCalib(Path dir) throws Exception {
    Path calib = java.nio.file.Files.createDirectories(dir.resolve("minilm-calib"));
    try (var in = BundledModels.class.getResourceAsStream("/dev/shears/testdata/minilm-calib/captions.jsonl")) {
      java.nio.file.Files.copy(in, calib.resolve("captions.jsonl"));
    }
    return calib;
  }

  /** all-MiniLM-L6-v2 from its Maven artifact (test scope), copied under target/. */
  public static Path miniLm() {
    Path p = BundledModels.miniLm(Path.of("target", "models"));
    assertNotNull(p, "the all-MiniLM-L6-v2 artifact must be on the test class path");
    return p;
  }
}
