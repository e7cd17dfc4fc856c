/** What the runtime chooses for the CPU it runs on before native libraries load: OpenBLAS's kernel set. */
package ai.crate.runtime.cpu;
