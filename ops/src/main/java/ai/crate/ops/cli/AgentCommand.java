package ai.crate.ops.cli;

import ai.crate.edge.Agent;
import ai.crate.edge.AgentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@code crate agent}: runs the edge agent from its {@code agent.yaml} until stopped (Ctrl-C or SIGTERM, which
 * classify the frames already read and leave anything undelivered in the spool), or, with {@code --until-done},
 * until every camera's source has ended (files) and the spool is delivered (exit 1 when records are left in it).
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Runs the edge agent: cameras classified on this device, results spooled to disk and published"
                + " to Kafka, health on HTTP. See docs/edge-agent.md for agent.yaml.")
final class AgentCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "agent.yaml", description = "The agent's settings.")
    Path config;

    @Option(names = "--until-done", description = "Stop once every camera's source ended and the spool is delivered"
            + " (for files; a live camera never ends).")
    boolean untilDone;

    @Override
    public Integer call() throws Exception {
        AgentConfig settings = AgentConfig.load(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Agent agent = Agent.start(settings);
        Thread hook = new Thread(() -> {
            try {
                agent.close();
            } catch (Exception e) {
                System.err.println("crate agent: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "crate-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (!untilDone) {
            stopped.await();
            return 0;
        }
        agent.awaitCamerasFinished(Duration.ofDays(365));
        Runtime.getRuntime().removeShutdownHook(hook);
        agent.close();
        long left = agent.spoolStats().pending();
        System.out.println("crate agent: " + agent.predictions() + " frames classified; " + (left == 0
                ? "everything delivered" : left + " records still in the spool (Kafka unreachable?); they are sent"
                + " at the next start"));
        return left == 0 ? 0 : 1;
    }
}
