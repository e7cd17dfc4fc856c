package ai.crate.ops.cli;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.cpu.OpenBlasKernels;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;

/**
 * The entry point of {@code bin/crate}. Errors the user can fix print one line, {@code crate <command>: <problem>},
 * and exit 1; bad arguments print the problem and a pointer to {@code --help} and exit 2.
 */
@Command(name = "crate", mixinStandardHelpOptions = true, version = "crate 0.1.0",
        description = "CRATE white-box transformer: import checkpoints, run inference on CPUs and GPUs, measure every"
                + " layer, and stream camera frames through Kafka.",
        subcommands = {InfoCommand.class, ImportCommand.class, InferCommand.class, InspectCommand.class,
                ExportOnnxCommand.class, BuildEngineCommand.class, EnginesCommand.class, BenchCommand.class, JmhCommand.class,
                BrokerCommand.class, IngestCommand.class, TrainCommand.class, EvalCommand.class,
                ShapesVideoCommand.class, DemoCommand.class, TailCommand.class, KeysCommand.class,
                BundleCommand.class, RegistryCommand.class, FeedbackCommand.class, AgentCommand.class, FleetCommand.class,
                CalibrateCommand.class, ReportCommand.class, ClusterCommand.class, TopicsCommand.class,
                CommandLine.HelpCommand.class})
public final class CrateCli implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests and embedding). */
    public static int run(String... args) {
        OpenBlasKernels.select();
        CommandLine cli = new CommandLine(new CrateCli());
        cli.setExecutionExceptionHandler(CrateCli::handle);
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static int handle(Exception e, CommandLine command, CommandLine.ParseResult parseResult) {
        PrintWriter err = command.getErr();
        String name = command.getCommandName();
        if (e instanceof CrateException || e instanceof IOException || e instanceof java.io.UncheckedIOException
                || e instanceof IllegalArgumentException
                || e instanceof IllegalStateException) {
            err.println("crate " + name + ": " + oneLine(e.getMessage()));
            return 1;
        }
        err.println("crate " + name + ": internal error: " + e);
        e.printStackTrace(err);
        return 3;
    }

    private static String oneLine(String message) {
        return message == null ? "failed" : message.replace('\n', ' ');
    }
}
