package ai.crate.edge;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs an agent the way a service manager expects, for {@code bin/crate agent} and {@link AgentMain}: until SIGTERM
 * or Ctrl-C (then the frames already read are classified and anything undelivered stays in the spool for the next
 * start), or, with {@code untilDone}, until every camera's source ended (files) and the spool is delivered.
 */
public final class AgentRunner {
    private AgentRunner() {
    }

    /** @return the exit status: 0, or 1 when {@code untilDone} left records undelivered in the spool */
    public static int run(AgentConfig config, boolean untilDone, PrintStream out) throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        Agent agent = Agent.start(config);
        Thread hook = new Thread(() -> {
            try {
                agent.close();
            } catch (Exception e) {
                out.println("crate agent: " + e.getMessage());
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
        out.println("crate agent: " + agent.predictions() + " frames classified; " + (left == 0
                ? "everything delivered" : left + " records still in the spool (Kafka unreachable?); they are sent"
                + " at the next start"));
        return left == 0 ? 0 : 1;
    }
}
