package dev.shears.core.strategy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Enumeration;

/**
 * A class loader for registry tests: it loads classes as the tests' own loader does, but finds
 * {@code META-INF/services} files in one jar or folder only. Core's test class path holds the
 * built-in plugins and core's own test providers; a test that pins which providers are found
 * must see only the ones it is about.
 */
final class ServicesOnlyFrom extends ClassLoader {
  private static final String SERVICES = "META-INF/services/";

  /** Searches the one location only: no parent. */
  private final URLClassLoader services;

  private ServicesOnlyFrom(URL location) {
    super(ServicesOnlyFrom.class.getClassLoader());
    services = new URLClassLoader(new URL[] {location}, null);
  }

  /**
   * A loader that finds the services files of one jar or folder.
   *
   * @param location the jar or folder, as a URL
   * @return the loader
   */
  static ClassLoader location(URL location) {
    return new ServicesOnlyFrom(location);
  }

  /**
   * A loader that finds the services files of the jar or folder a class was loaded from.
   *
   * @param type the class
   * @return the loader
   */
  static ClassLoader locationOf(Class<?> type) {
    return location(type.getProtectionDomain().getCodeSource().getLocation());
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    return name.startsWith(SERVICES) ? services.findResources(name) : super.getResources(name);
  }
}
