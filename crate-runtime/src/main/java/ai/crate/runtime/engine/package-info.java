/**
 * Engines that run CRATE's forward pass behind one small interface, found through {@link java.util.ServiceLoader}
 * ({@link ai.crate.runtime.engine.EngineProvider}), with {@code reference} as the readable float32 oracle.
 */
package ai.crate.runtime.engine;
