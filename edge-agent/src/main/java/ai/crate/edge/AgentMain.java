package ai.crate.edge;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the agent without the {@code bin/crate} CLI: {@code java -cp … ai.crate.edge.AgentMain agent.yaml}. It runs
 * until SIGTERM (then it classifies the frames already read and leaves anything undelivered in the spool).
 */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: AgentMain agent.yaml");
            System.exit(2);
        }
        Agent agent;
        try {
            agent = Agent.start(AgentConfig.load(Path.of(args[0])));
        } catch (IllegalArgumentException e) {
            System.err.println("crate agent: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                agent.close();
            } catch (Exception e) {
                System.err.println("crate agent: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "crate-agent-shutdown"));
        stopped.await();
    }
}
