package dev.shears.core.strategy;

import dev.shears.api.Allocator;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.Scorer;
import dev.shears.api.ShearsApi;
import dev.shears.api.StrategyKind;
import dev.shears.api.StrategyProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The strategies found on a class path, by kind and name.
 *
 * <p>Built-in and third-party strategies are found the same way, through
 * {@link ServiceLoader}. Loading never fails as a whole: a provider that cannot be
 * instantiated, has an invalid name or parameter list, duplicates an earlier name or was
 * built for another API version is left out and described, on one line naming the jar or
 * folder it came from, in {@link #problems()}; asking for it by name then fails with that
 * description. When two or more providers of one kind share a name (a built-in included),
 * none of them is used: the name is refused, naming every jar or folder that provides it,
 * so that which code runs never depends on the order of the plugin path.
 *
 * <p>This is the host's side of the plugin API: plugins never call it, so it lives in core and
 * not in {@code shears-api}, which holds only what plugin authors implement or call.
 */
public final class StrategyRegistry {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");
  private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");
  private static final int MAX_FAILURES = 1000;

  /**
   * One available strategy.
   *
   * @param kind what it is
   * @param provider its factory
   * @param source where it was loaded from (a jar or folder), for listings and messages
   */
  public record Entry(StrategyKind kind, StrategyProvider<?> provider, String source) {}

  private final Map<StrategyKind, Map<String, Entry>> entries = new EnumMap<>(StrategyKind.class);
  private final Map<StrategyKind, Map<String, String>> refused = new EnumMap<>(StrategyKind.class);
  private final Map<StrategyKind, List<String>> failures = new EnumMap<>(StrategyKind.class);
  private final Map<StrategyKind, Map<String, List<String>>> duplicates = new EnumMap<>(StrategyKind.class);
  private final List<String> problems = new ArrayList<>();

  private StrategyRegistry() {
    for (StrategyKind kind : StrategyKind.values()) {
      entries.put(kind, new LinkedHashMap<>());
      refused.put(kind, new LinkedHashMap<>());
      failures.put(kind, new ArrayList<>());
      duplicates.put(kind, new LinkedHashMap<>());
    }
  }

  /**
   * Finds every provider visible to {@code loader}.
   *
   * @param loader the class loader to search, for example one over the plugin path
   * @return the registry
   */
  public static StrategyRegistry load(ClassLoader loader) {
    StrategyRegistry registry = new StrategyRegistry();
    for (StrategyKind kind : StrategyKind.values()) {
      registry.loadKind(kind, loader);
    }
    return registry;
  }

  private void loadKind(StrategyKind kind, ClassLoader loader) {
    Map<String, List<String>> listedIn = serviceFiles(kind, loader);
    Iterator<? extends ServiceLoader.Provider<? extends StrategyProvider<?>>> it =
        ServiceLoader.load(kind.providerType(), loader).stream().iterator();
    int failed = 0;
    while (failed < MAX_FAILURES) {
      ServiceLoader.Provider<? extends StrategyProvider<?>> found;
      try {
        if (!it.hasNext()) {
          return;
        }
        found = it.next();
      } catch (ServiceConfigurationError | LinkageError e) {
        // The class named in a services file is missing, not a provider, or does not link.
        failed++;
        String cn = mentionedClass(e, listedIn.keySet());
        fail(kind, cn == null ? "?" : cn, cn == null ? "(unknown source)" : listedIn.get(cn).get(0), e);
        continue;
      }
      Class<?> type = found.type();
      StrategyProvider<?> provider;
      try {
        provider = found.get();
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        failed++;
        fail(kind, type.getName(), sourceOf(type), e);
        continue;
      }
      register(kind, provider, listedIn.get(type.getName()));
    }
  }

  private void fail(StrategyKind kind, String className, String source, Throwable e) {
    String why = kind.label() + " plugin " + className + " from " + source + " failed to load ("
        + cause(e) + "); skipped";
    problems.add(why);
    failures.get(kind).add(why);
  }

  /**
   * The provider classes named in the kind's services files, each with the jars or folders
   * whose files name it, in class-path order. A class named in two places is loaded from the
   * first only (one class loader): the registry refuses it as a duplicate.
   */
  private Map<String, List<String>> serviceFiles(StrategyKind kind, ClassLoader loader) {
    Map<String, List<String>> listedIn = new LinkedHashMap<>();
    Enumeration<URL> files;
    try {
      files = loader.getResources("META-INF/services/" + kind.providerType().getName());
    } catch (IOException e) {
      return listedIn;
    }
    Set<String> seen = new HashSet<>();
    while (files.hasMoreElements()) {
      URL file = files.nextElement();
      if (!seen.add(file.toString())) {
        continue;
      }
      String source = serviceFileSource(file);
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(open(file), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          int hash = line.indexOf('#');
          String cn = (hash >= 0 ? line.substring(0, hash) : line).trim();
          if (cn.isEmpty()) {
            continue;
          }
          List<String> sources = listedIn.computeIfAbsent(cn, k -> new ArrayList<>());
          if (!sources.contains(source)) {
            sources.add(source);
          }
        }
      } catch (IOException e) {
        problems.add("cannot read " + file + ": " + e.getMessage());
      }
    }
    return listedIn;
  }

  /** Opens a services file without leaving its jar open in the JDK's jar cache. */
  private static InputStream open(URL file) throws IOException {
    URLConnection c = file.openConnection();
    c.setUseCaches(false);
    return c.getInputStream();
  }

  /** The jar or folder holding a services file. */
  private static String serviceFileSource(URL file) {
    String s = file.toString();
    String tail = "/META-INF/services/";
    try {
      if (s.startsWith("jar:")) {
        int bang = s.indexOf("!/");
        return Path.of(new URI(s.substring(4, bang))).toString();
      }
      int at = s.lastIndexOf(tail);
      if (s.startsWith("file:") && at >= 0) {
        return Path.of(new URI(s.substring(0, at + 1))).toString();
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall back to the URL itself
    }
    return s;
  }

  /** The longest listed class name that the error mentions, or null. */
  private static String mentionedClass(Throwable e, Set<String> listed) {
    String all = chain(e);
    String best = null;
    for (String cn : listed) {
      if (all.contains(cn) && (best == null || cn.length() > best.length())) {
        best = cn;
      }
    }
    return best;
  }

  private static String chain(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      sb.append(t).append(' ');
    }
    return sb.toString();
  }

  /**
   * What went wrong, on one line: the root cause's type and message, or for a
   * {@link ServiceConfigurationError} without cause its message less the service prefix.
   */
  private static String cause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String text;
    if (t instanceof ServiceConfigurationError) {
      String m = String.valueOf(t.getMessage());
      int colon = m.indexOf(": ");
      text = colon >= 0 ? m.substring(colon + 2) : m;
    } else {
      text = t.getMessage() == null
          ? t.getClass().getName()
          : t.getClass().getSimpleName() + ": " + t.getMessage();
    }
    return text.replace('\r', ' ').replace('\n', ' ');
  }

  private void register(StrategyKind kind, StrategyProvider<?> provider, List<String> listedIn) {
    String source = sourceOf(provider.getClass());
    String what = kind.label() + " plugin " + provider.getClass().getName() + " from " + source;
    String name;
    int version;
    try {
      name = provider.name();
      version = provider.apiVersion();
    } catch (RuntimeException | LinkageError e) {
      fail(kind, provider.getClass().getName(), source, e);
      return;
    }
    if (name == null || !NAME.matcher(name).matches()) {
      problems.add(what + " has an invalid name '" + name
          + "' (names match [a-z][a-z0-9-]*); skipped");
      return;
    }
    if (!ShearsApi.isCompatible(version)) {
      String why = kind.label() + " '" + name + "' from " + source + " was built for Shears API "
          + version + ", but this is API " + ShearsApi.VERSION
          + "; rebuild it against this API";
      problems.add(why);
      refused.get(kind).putIfAbsent(name, why);
      return;
    }
    String invalid;
    try {
      invalid = checkDeclaration(provider);
    } catch (RuntimeException | LinkageError e) {
      fail(kind, provider.getClass().getName(), source, e);
      return;
    }
    if (invalid != null) {
      String why = kind.label() + " '" + name + "' from " + source + " " + invalid + "; skipped";
      problems.add(why);
      refused.get(kind).putIfAbsent(name, why);
      return;
    }
    List<String> twins = duplicates.get(kind).get(name);
    Entry earlier = entries.get(kind).remove(name);
    if (twins == null && earlier == null && listedIn != null && listedIn.size() > 1) {
      // the same class in two jars: only the first is loaded, so which one runs is the path's order
      twins = new ArrayList<>(listedIn.subList(0, listedIn.size() - 1));
      duplicates.get(kind).put(name, twins);
      source = listedIn.get(listedIn.size() - 1);
    }
    if (earlier != null || twins != null) {
      if (twins == null) {
        twins = new ArrayList<>(List.of(earlier.source()));
        duplicates.get(kind).put(name, twins);
      }
      twins.add(source);
      String why = duplicateMessage(kind, name, twins);
      problems.add(why);
      refused.get(kind).put(name, why);
      return;
    }
    entries.get(kind).put(name, new Entry(kind, provider, source));
  }

  private static String duplicateMessage(StrategyKind kind, String name, List<String> sources) {
    String all = sources.size() == 2 ? sources.get(0) + " and " + sources.get(1)
        : String.join(", ", sources.subList(0, sources.size() - 1)) + " and " + sources.get(sources.size() - 1);
    return "duplicate " + kind.label() + " '" + name + "': provided by " + all
        + (sources.size() == 2 ? "; neither" : "; none") + " is used (remove one from the plugin path, or rename it)";
  }

  /** What is wrong with the provider's description and parameters, or null. */
  private static String checkDeclaration(StrategyProvider<?> provider) {
    if (provider.description() == null) {
      return "has no description";
    }
    List<ParamSpec> specs = provider.parameters();
    if (specs == null) {
      return "declares no parameter list (return List.of() for none)";
    }
    Set<String> names = new HashSet<>();
    for (ParamSpec spec : specs) {
      if (spec == null) {
        return "declares a null parameter";
      }
      if (!PARAM_NAME.matcher(spec.name()).matches()) {
        return "declares an invalid parameter name '" + spec.name()
            + "' (parameter names match [A-Za-z][A-Za-z0-9_-]*)";
      }
      if (!names.add(spec.name())) {
        return "declares parameter '" + spec.name() + "' twice";
      }
      try {
        Params.of("", List.of(spec), Map.of(spec.name(), spec.defaultValue()));
      } catch (InvalidConfigurationException e) {
        return "declares a default its own type rejects: " + e.getMessage();
      }
    }
    return null;
  }

  private static String sourceOf(Class<?> type) {
    CodeSource cs = type.getProtectionDomain().getCodeSource();
    URL url = cs == null ? null : cs.getLocation();
    if (url == null) {
      return "(unknown source)";
    }
    try {
      return Path.of(url.toURI()).toString();
    } catch (URISyntaxException | RuntimeException e) {
      return url.toString();
    }
  }

  /**
   * The strategies of one kind, in load order.
   *
   * @param kind the kind
   * @return the entries
   */
  public List<Entry> entries(StrategyKind kind) {
    return List.copyOf(entries.get(kind).values());
  }

  /**
   * The names of one kind, in load order.
   *
   * @param kind the kind
   * @return the names
   */
  public List<String> availableNames(StrategyKind kind) {
    return List.copyOf(entries.get(kind).keySet());
  }

  /**
   * What went wrong while loading: failed, refused and duplicate providers, each naming the
   * jar or folder it came from.
   *
   * @return one line per problem, in the order met
   */
  public List<String> problems() {
    return Collections.unmodifiableList(problems);
  }

  /**
   * The provider of the given kind and name.
   *
   * @param kind the kind
   * @param name the name the user gave
   * @return the entry
   * @throws InvalidConfigurationException when there is none; the message lists the names
   *     that are available and the plugins of that kind that failed to load, or says why a
   *     provider of that name was refused
   */
  public Entry forName(StrategyKind kind, String name) {
    Entry entry = entries.get(kind).get(name);
    if (entry != null) {
      return entry;
    }
    String why = refused.get(kind).get(name);
    if (why != null) {
      throw new InvalidConfigurationException(why);
    }
    StringBuilder msg = new StringBuilder("unknown " + kind.label() + " '" + name
        + "' (available: " + String.join(", ", availableNames(kind)) + ")");
    for (String p : failures.get(kind)) {
      msg.append("; note: ").append(p);
    }
    throw new InvalidConfigurationException(msg.toString());
  }

  /**
   * Creates a strategy by name, with parameters checked against its declaration.
   *
   * @param kind the kind
   * @param name the name the user gave
   * @param params the user's parameters for it, keyed without prefix
   * @return the strategy
   * @throws InvalidConfigurationException for an unknown name or bad parameters, including an
   *     {@link IllegalArgumentException} from {@link StrategyProvider#create(Params)}
   */
  public Object create(StrategyKind kind, String name, Map<String, String> params) {
    Entry entry = forName(kind, name);
    StrategyProvider<?> provider = entry.provider();
    Params checked = Params.of(kind.label() + ".", provider.parameters(), params);
    try {
      Object strategy = provider.create(checked);
      if (strategy == null) {
        throw new IllegalStateException("create returned null");
      }
      return strategy;
    } catch (InvalidConfigurationException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(
          kind.label() + " '" + name + "': "
              + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
  }

  /**
   * Creates a scorer by name.
   *
   * @param name the name the user gave
   * @param params its parameters, keyed without prefix
   * @return the scorer
   */
  public Scorer scorer(String name, Map<String, String> params) {
    return (Scorer) create(StrategyKind.SCORER, name, params);
  }

  /**
   * Creates an allocator by name.
   *
   * @param name the name the user gave
   * @param params its parameters, keyed without prefix
   * @return the allocator
   */
  public Allocator allocator(String name, Map<String, String> params) {
    return (Allocator) create(StrategyKind.ALLOCATOR, name, params);
  }

  /**
   * Creates a loss by name.
   *
   * @param name the name the user gave
   * @param params its parameters, keyed without prefix
   * @return the loss
   */
  public CalibrationLoss loss(String name, Map<String, String> params) {
    return (CalibrationLoss) create(StrategyKind.LOSS, name, params);
  }
}
