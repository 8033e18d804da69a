package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --in-place} killed with SIGKILL during the write leaves either the original model or the
 * complete pruned one, never a mix; the next run removes the leftovers and succeeds. A full disk
 * is reported in one line and leaves the original untouched.
 */
// slow (child JVMs): "mvn -Pfast" leaves it out while developing; the default run and CI keep it
@Tag("slow")
class CrashSafetyTest {
  static final Path MODEL = BundledModels.tinyClip().resolve("model.onnx");
  static final String[] PRUNE = {"--sparsity", "0.5", "--scorer", "magnitude", "--allocator", "uniform", "--quiet"};

  @TempDir Path tmp;

  static String sha256(Path f) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static String[] args(String... head) {
    return Stream.concat(Stream.of(head), Stream.of(PRUNE)).toArray(String[]::new);
  }

  /** A child JVM running {@code shears prune MODEL --in-place ...}. */
  static Process inPlaceChild(Path model, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Xmx1g", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        ShearsCommand.class.getName(), "prune", model.toString(), "--in-place"));
    cmd.addAll(List.of(PRUNE));
    cmd.addAll(List.of(extra));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }

  static boolean hasTemp(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(f -> f.getFileName().toString().endsWith(ModelWriter.TEMP_SUFFIX));
    }
  }

  static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return new java.util.TreeSet<>(s.map(f -> f.getFileName().toString()).toList());
    }
  }

  @Test
  void sigkillDuringInPlaceWriteLeavesOldOrNewModel() throws Exception {
    for (String external : new String[] {"never", "always"}) {
      // The complete result, for comparison (the output is deterministic).
      Path ref = Files.createDirectories(tmp.resolve("ref-" + external)).resolve("model.onnx");
      Files.copy(MODEL, ref);
      CliRun done = CliRun.of(args("prune", ref.toString(), "--in-place", "--external-data", external));
      assertEquals(0, done.exitCode(), done.err());
      String before = sha256(MODEL);
      String after = sha256(ref);

      // Kill points: as soon as a temp file appears, a little later, and at fixed delays.
      long[] afterTempMs = {0, 5, 20, 60};
      long[] blindMs = {300, 900};
      int killedMidWrite = 0;
      for (int i = 0; i < afterTempMs.length + blindMs.length; i++) {
        Path dir = Files.createDirectories(tmp.resolve("kill-" + external + "-" + i));
        Path model = dir.resolve("model.onnx");
        Files.copy(MODEL, model);
        Process p = inPlaceChild(model, "--external-data", external);
        boolean sawTemp = false;
        if (i < afterTempMs.length) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (p.isAlive() && !(sawTemp = hasTemp(dir)) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
          }
          if (afterTempMs[i] > 0) {
            Thread.sleep(afterTempMs[i]);
          }
        } else {
          Thread.sleep(blindMs[i - afterTempMs.length]);
        }
        boolean wasAlive = p.isAlive();
        p.destroyForcibly(); // SIGKILL
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        if (sawTemp && wasAlive) {
          killedMidWrite++;
        }

        String now = sha256(model);
        assertTrue(now.equals(before) || now.equals(after),
            external + " kill " + i + ": the model is neither the original nor the complete output");
        try (ModelFile m = ModelFile.read(model)) {
          assertTrue(m.proto().getGraph().getInitializerCount() > 0);
        }

        // The next run cleans up after the killed one and succeeds.
        CliRun next = CliRun.of(args("prune", model.toString(), "--in-place", "--external-data", external));
        assertEquals(0, next.exitCode(), next.err());
        assertFalse(hasTemp(dir), external + " kill " + i + ": leftovers remain: " + names(dir));
        Set<String> expected = external.equals("never") ? Set.of("model.onnx")
            : Set.of("model.onnx", "model.onnx.data", "model.onnx.1.data");
        assertTrue(expected.containsAll(names(dir)), "unexpected files " + names(dir));
        try (ModelFile m = ModelFile.read(model)) {
          assertTrue(m.proto().getGraph().getInitializerCount() > 0);
        }
      }
      assertTrue(killedMidWrite > 0, external + ": no kill landed during a write");
    }
  }

  @Test
  void fullDiskIsReportedAndTheOriginalStays() throws Exception {
    Path mnt = Files.createDirectories(tmp.resolve("small"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", mnt.toString())
        .redirectErrorStream(true).start();
    boolean mounted = mount.waitFor(20, TimeUnit.SECONDS) && mount.exitValue() == 0;
    Assumptions.assumeTrue(mounted, "cannot mount a small tmpfs here (needs root)");
    try {
      Path model = mnt.resolve("model.onnx");
      Files.copy(MODEL, model); // 6.7 MB of 10: no room for a second copy
      String before = sha256(model);
      CliRun r = CliRun.of(args("prune", model.toString(), "--in-place"));
      assertEquals(1, r.exitCode(), r.err());
      List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
      assertEquals(1, lines.size(), r.err());
      assertTrue(lines.get(0).startsWith("shears: error: " + model + ": cannot write the model (the disk is full)"),
          lines.get(0));
      assertEquals(before, sha256(model), "the original is untouched");
      assertEquals(Set.of("model.onnx"), names(mnt), "no temp files left");
      // -o into the full folder: the same, and no output file
      CliRun o = CliRun.of(args("prune", MODEL.toString(), "-o", mnt.resolve("out.onnx").toString()));
      assertEquals(1, o.exitCode(), o.err());
      assertTrue(o.errorLine().contains("the disk is full"), o.err());
      assertEquals(Set.of("model.onnx"), names(mnt));
    } finally {
      // lazy: this JVM may still map the model (a mapping goes away only when collected)
      new ProcessBuilder("umount", "-l", mnt.toString()).redirectErrorStream(true).start().waitFor(20, TimeUnit.SECONDS);
    }
  }
}
