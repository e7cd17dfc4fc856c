/**
 * Model bundles: a directory with {@code manifest.json}, {@code weights.safetensors} and {@code labels.txt}, the unit
 * every part of the pipeline loads, signs and ships.
 */
package ai.crate.runtime.bundle;
