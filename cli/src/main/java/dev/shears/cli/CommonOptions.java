package dev.shears.cli;

import dev.shears.api.StrategyRegistry;
import dev.shears.core.ShearsException;
import dev.shears.core.progress.ConsoleProgress;
import dev.shears.core.progress.Progress;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Options every command takes. */
final class CommonOptions {
  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Option(names = "--quiet", description = "No progress bars or notes on stderr.")
  boolean quiet;

  @Option(names = "--plugin-path", paramLabel = "PATH",
      description = "A plugin jar, or a folder of jars, to load strategies from (repeatable; "
          + "also the SHEARS_PLUGIN_PATH environment variable, separated by ':').")
  List<Path> pluginPath = new ArrayList<>();

  Progress progress() {
    return quiet ? Progress.NONE : new ConsoleProgress(System.err);
  }

  /** Built-in strategies, then the plugin path's, found the same way (ServiceLoader). */
  StrategyRegistry registry() {
    List<Path> paths = new ArrayList<>(pluginPath);
    String env = System.getenv("SHEARS_PLUGIN_PATH");
    if (env != null && !env.isBlank()) {
      for (String p : env.split(java.io.File.pathSeparator)) {
        if (!p.isBlank()) {
          paths.add(Path.of(p));
        }
      }
    }
    List<URL> urls = new ArrayList<>();
    for (Path p : paths) {
      if (!Files.exists(p)) {
        throw new ShearsException("--plugin-path " + p + ": no such file or folder");
      }
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          for (Path jar : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".jar")).sorted()::iterator) {
            urls.add(url(jar));
          }
        } catch (IOException e) {
          throw new ShearsException("--plugin-path " + p + ": cannot list (" + e.getMessage() + ")", e);
        }
      } else if (p.toString().endsWith(".jar")) {
        urls.add(url(p));
      } else {
        throw new ShearsException("--plugin-path " + p + ": not a jar or a folder of jars");
      }
    }
    ClassLoader parent = CommonOptions.class.getClassLoader();
    ClassLoader loader = urls.isEmpty() ? parent : new URLClassLoader(urls.toArray(URL[]::new), parent);
    StrategyRegistry registry = StrategyRegistry.load(loader);
    if (!quiet) {
      for (String problem : registry.problems()) {
        System.err.println("warning: " + problem);
      }
    }
    return registry;
  }

  private static URL url(Path p) {
    try {
      return p.toUri().toURL();
    } catch (MalformedURLException e) {
      throw new ShearsException("--plugin-path " + p + ": " + e.getMessage(), e);
    }
  }
}
