package ai.crate.ops.cli;

import ai.crate.edge.AgentConfig;
import ai.crate.edge.AgentRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code crate agent}: runs the edge agent from its {@code agent.yaml} until stopped, or with {@code --until-done}
 * until every camera's source has ended (files) and the spool is delivered; see {@link AgentRunner}.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Runs the edge agent: cameras classified on this device, results spooled to disk and published"
                + " to Kafka, health on HTTP. See docs/edge-agent.md for agent.yaml.")
final class AgentCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "agent.yaml", description = "The agent's settings.")
    Path config;

    @Option(names = "--until-done", description = "Stop once every camera's source ended and the spool is delivered"
            + " (for files; a live camera never ends). Exit 1 if records are left in the spool.")
    boolean untilDone;

    @Override
    public Integer call() throws Exception {
        return AgentRunner.run(AgentConfig.load(config), untilDone, System.out);
    }
}
