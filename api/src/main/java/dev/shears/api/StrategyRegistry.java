package dev.shears.api;

import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The strategies found on a class path, by kind and name.
 *
 * <p>Built-in and third-party strategies are found the same way, through
 * {@link ServiceLoader}. Loading never fails as a whole: a provider that cannot be
 * instantiated, has an invalid name, duplicates an earlier name or was built for another API
 * version is left out and described in {@link #problems()}; asking for it by name then fails
 * with that description.
 */
public final class StrategyRegistry {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");

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
  private final List<String> problems = new ArrayList<>();

  private StrategyRegistry() {
    for (StrategyKind kind : StrategyKind.values()) {
      entries.put(kind, new LinkedHashMap<>());
      refused.put(kind, new LinkedHashMap<>());
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
    Iterator<? extends StrategyProvider<?>> it = ServiceLoader.load(kind.providerType(), loader).iterator();
    while (true) {
      StrategyProvider<?> provider;
      try {
        if (!it.hasNext()) {
          return;
        }
        provider = it.next();
      } catch (ServiceConfigurationError e) {
        problems.add("a " + kind.label() + " plugin failed to load: " + oneLine(e));
        continue;
      }
      register(kind, provider);
    }
  }

  private void register(StrategyKind kind, StrategyProvider<?> provider) {
    String source = sourceOf(provider.getClass());
    String name;
    int version;
    try {
      name = provider.name();
      version = provider.apiVersion();
    } catch (RuntimeException | LinkageError e) {
      problems.add(kind.label() + " " + provider.getClass().getName() + " from " + source
          + " failed to describe itself: " + oneLine(e));
      return;
    }
    if (name == null || !NAME.matcher(name).matches()) {
      problems.add(kind.label() + " " + provider.getClass().getName() + " from " + source
          + " has an invalid name '" + name + "' (names match [a-z][a-z0-9-]*)");
      return;
    }
    if (!ShearsApi.isCompatible(version)) {
      String why = kind.label() + " '" + name + "' from " + source + " was built for Shears API "
          + version + ", but this is API " + ShearsApi.VERSION + "; rebuild it against this API";
      problems.add(why);
      refused.get(kind).putIfAbsent(name, why);
      return;
    }
    Entry earlier = entries.get(kind).get(name);
    if (earlier != null) {
      problems.add("duplicate " + kind.label() + " '" + name + "': " + earlier.source()
          + " and " + source + "; using the first");
      return;
    }
    entries.get(kind).put(name, new Entry(kind, provider, source));
  }

  private static String sourceOf(Class<?> type) {
    CodeSource cs = type.getProtectionDomain().getCodeSource();
    URL url = cs == null ? null : cs.getLocation();
    return url == null ? "(unknown source)" : url.getPath();
  }

  private static String oneLine(Throwable e) {
    StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      sb.append(": ").append(c.getClass().getSimpleName()).append(' ').append(c.getMessage());
    }
    return sb.toString().replace('\n', ' ');
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
   * What went wrong while loading: failed, refused and duplicate providers.
   *
   * @return one line per problem
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
   *     that are available, or says why a provider of that name was refused
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
    for (String p : problems) {
      if (p.contains("failed")) {
        msg.append("; ").append(p);
      }
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
   * @throws InvalidConfigurationException for an unknown name or bad parameters
   */
  public Object create(StrategyKind kind, String name, Map<String, String> params) {
    StrategyProvider<?> provider = forName(kind, name).provider();
    Params checked = Params.of(kind.label() + ".", provider.parameters(), params);
    return provider.create(checked);
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
