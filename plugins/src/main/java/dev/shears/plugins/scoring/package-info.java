/**
 * Built-in scorers: {@code magnitude}, {@code wanda} and {@code sparsegpt}. Each decides which
 * weights of one layer go; the score-based ones defer the choice to
 * {@link dev.shears.api.MaskSelection} so that counts and tie-breaking agree across scorers.
 */
package dev.shears.plugins.scoring;
