/** The CRATE model configuration: the authors' constructor keys, presets, JSON form and validation. */
package ai.crate.runtime.config;
