/**
 * The built-in strategies of Shears. They are registered through {@code META-INF/services}
 * exactly like third-party plugins, so they use nothing beyond the public API.
 *
 * <p>Scorers (the fine stage) live in {@link dev.shears.plugins.scoring}, allocators (the
 * coarse stage) in {@link dev.shears.plugins.allocation}.
 */
package dev.shears.plugins;
