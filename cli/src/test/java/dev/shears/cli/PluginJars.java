package dev.shears.cli;

import dev.shears.api.ShearsApi;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Builds plugin jars at test time the way a plugin author would: Java sources compiled with
 * only the shears-api classes on the class path, then jarred with their services files.
 */
final class PluginJars {
  private PluginJars() {}

  /** The root of the Shears source tree (the folder holding plugins/example-scorer). */
  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("plugins/example-scorer/pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find plugins/example-scorer above " + Path.of("").toAbsolutePath());
  }

  /** Where the shears-api classes are: a folder in a reactor build, else a jar. */
  static Path apiClasses() {
    try {
      return Path.of(ShearsApi.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Compiles the example project's sources and jars them with its resources.
   *
   * @param jar the jar to write
   * @return {@code jar}
   */
  static Path example(Path jar) throws IOException {
    Path project = repoRoot().resolve("plugins/example-scorer");
    List<JavaFileObject> sources = new ArrayList<>();
    JavaCompiler javac = compiler();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        Stream<Path> files = Files.walk(project.resolve("src/main/java"))) {
      for (Path f : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        fm.getJavaFileObjects(f).forEach(sources::add);
      }
    }
    Path classes = Files.createTempDirectory(jar.getParent(), "classes");
    compile(sources, classes);
    Path resources = project.resolve("src/main/resources");
    try (Stream<Path> files = Files.walk(resources)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Path to = classes.resolve(resources.relativize(f).toString());
        Files.createDirectories(to.getParent());
        Files.copy(f, to);
      }
    }
    return jar(classes, jar, null);
  }

  /**
   * Compiles sources given as text and jars them with a services file per entry.
   *
   * @param jar the jar to write
   * @param sources class name to its source
   * @param services service interface name to the provider class names it lists
   * @return {@code jar}
   */
  static Path build(Path jar, Map<String, String> sources, Map<String, List<String>> services)
      throws IOException {
    return build(jar, sources, services, null);
  }

  /**
   * Like {@link #build(Path, Map, Map)}, with an {@code Implementation-Version} in the manifest.
   *
   * @param version the version, or {@code null} for none
   */
  static Path build(Path jar, Map<String, String> sources, Map<String, List<String>> services, String version)
      throws IOException {
    List<JavaFileObject> units = new ArrayList<>();
    sources.forEach((name, code) -> units.add(new Source(name, code)));
    Path classes = Files.createTempDirectory(jar.getParent(), "classes");
    compile(units, classes);
    for (Map.Entry<String, List<String>> e : services.entrySet()) {
      Path f = classes.resolve("META-INF/services/" + e.getKey());
      Files.createDirectories(f.getParent());
      Files.writeString(f, String.join("\n", e.getValue()) + "\n");
    }
    return jar(classes, jar, version);
  }

  private static JavaCompiler compiler() {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    if (javac == null) {
      throw new IllegalStateException("these tests need a JDK (javax.tools.JavaCompiler), not a JRE");
    }
    return javac;
  }

  private static void compile(List<JavaFileObject> sources, Path out) {
    if (sources.isEmpty()) {
      return;
    }
    StringWriter log = new StringWriter();
    List<String> options = List.of("--release", "17", "-proc:none", "-Xlint:all", "-Werror",
        "-classpath", apiClasses().toString(), "-d", out.toString());
    boolean ok = compiler().getTask(log, null, null, options, null, sources).call();
    if (!ok) {
      throw new IllegalStateException("plugin sources do not compile against shears-api:\n" + log);
    }
  }

  private static Path jar(Path classes, Path jar, String version) throws IOException {
    Manifest mf = new Manifest();
    mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (version != null) {
      mf.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
    }
    try (OutputStream os = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(os, mf);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
        out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        Files.copy(f, out);
        out.closeEntry();
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return jar;
  }

  /** A source file held in memory. */
  private static final class Source extends SimpleJavaFileObject {
    private final String code;

    Source(String className, String code) {
      super(java.net.URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension),
          Kind.SOURCE);
      this.code = code;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return code;
    }
  }
}
