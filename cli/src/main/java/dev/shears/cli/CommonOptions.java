package dev.shears.cli;

import dev.shears.core.ShearsException;
import dev.shears.core.progress.ConsoleProgress;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Options every command takes. */
final class CommonOptions {
  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Option(names = "--quiet", description = "No progress bars or notes on stderr (plugin-load warnings still show).")
  boolean quiet;

  @Option(names = "--plugin-path", paramLabel = "PATH",
      description = "A plugin jar, or a folder of jars, to load strategies from (repeatable; "
          + "also the SHEARS_PLUGIN_PATH environment variable, separated by ':').")
  List<Path> pluginPath = new ArrayList<>();

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  private Progress progress;

  /**
   * One progress reporter per run: bars when the process's stderr is a terminal, plain stage
   * lines otherwise (also when stderr is captured in-process), nothing with --quiet.
   */
  Progress progress() {
    if (progress == null) {
      if (quiet) {
        progress = Progress.NONE;
      } else if (ShearsCommand.processStreams) {
        progress = new ConsoleProgress(err());
      } else {
        progress = new ConsoleProgress(err(), ConsoleProgress.Style.LINES, 80);
      }
    }
    return progress;
  }

  /** Prints the notes held back until work started (for a run that started none). */
  void releaseNotes() {
    if (progress instanceof ConsoleProgress c) {
      c.release();
    }
  }

  private PrintWriter err() {
    return command == null ? new PrintWriter(System.err, true) : command.commandLine().getErr();
  }

  /** Built-in strategies, then the plugin path's, found the same way (ServiceLoader). */
  StrategyRegistry registry() {
    List<URL> urls = pluginJars(pluginPath, System.getenv("SHEARS_PLUGIN_PATH"));
    ClassLoader parent = CommonOptions.class.getClassLoader();
    ClassLoader loader = urls.isEmpty() ? parent : new URLClassLoader(urls.toArray(URL[]::new), parent);
    StrategyRegistry registry = StrategyRegistry.load(loader);
    // shown even with --quiet: a skipped or refused plugin changes what runs
    PrintWriter err = err();
    for (String problem : registry.problems()) {
      err.println("warning: " + ShearsCommand.oneLine(problem));
    }
    err.flush();
    return registry;
  }

  /** A strategy's own version, or "unknown" when its {@code version()} fails. */
  static String version(StrategyRegistry.Entry e) {
    try {
      return String.valueOf(e.provider().version());
    } catch (RuntimeException | LinkageError ex) {
      return "unknown";
    }
  }

  /**
   * The jars to load plugins from, in order: the {@code --plugin-path} options, then the
   * entries of {@code env} (SHEARS_PLUGIN_PATH); a folder gives its jars in name order.
   */
  static List<URL> pluginJars(List<Path> options, String env) {
    Map<Path, String> paths = new LinkedHashMap<>();
    for (Path p : options) {
      paths.putIfAbsent(p, "--plugin-path " + p);
    }
    if (env != null && !env.isBlank()) {
      for (String p : env.split(java.io.File.pathSeparator)) {
        if (!p.isBlank()) {
          paths.putIfAbsent(Path.of(p), "SHEARS_PLUGIN_PATH entry " + p);
        }
      }
    }
    List<URL> urls = new ArrayList<>();
    for (Map.Entry<Path, String> e : paths.entrySet()) {
      Path p = e.getKey();
      String what = e.getValue();
      if (!Files.exists(p)) {
        throw new ShearsException(what + ": no such file or folder");
      }
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          for (Path jar : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".jar")).sorted()::iterator) {
            urls.add(url(what, jar));
          }
        } catch (IOException ex) {
          throw new ShearsException(what + ": cannot list (" + ex.getMessage() + ")", ex);
        }
      } else if (p.toString().endsWith(".jar")) {
        urls.add(url(what, p));
      } else {
        throw new ShearsException(what + ": not a jar or a folder of jars");
      }
    }
    return urls;
  }

  private static URL url(String what, Path p) {
    try {
      return p.toAbsolutePath().normalize().toUri().toURL();
    } catch (MalformedURLException e) {
      throw new ShearsException(what + ": " + e.getMessage(), e);
    }
  }
}
