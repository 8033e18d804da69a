/**
 * Built-in allocators: {@code uniform}, {@code ecoflap}, {@code owl} and {@code sensitivity}. Each decides how
 * sparse every block should be so that the model as a whole reaches the target.
 */
package dev.shears.plugins.allocation;
