/** The {@code bin/crate} command line: one picocli command per task, each a thin layer over the modules it drives. */
package ai.crate.ops.cli;
