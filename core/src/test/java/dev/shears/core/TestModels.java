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

  /** all-MiniLM-L6-v2 from its Maven artifact (test scope), copied under target/. */
  public static Path miniLm() {
    Path p = BundledModels.miniLm(Path.of("target", "models"));
    assertNotNull(p, "the all-MiniLM-L6-v2 artifact must be on the test class path");
    return p;
  }
}
