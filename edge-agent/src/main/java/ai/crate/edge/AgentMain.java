package ai.crate.edge;

import ai.crate.runtime.cpu.OpenBlasKernels;

import java.nio.file.Path;

/**
 * Runs the agent without the {@code bin/crate} CLI, e.g. from the agent jar:
 * {@code java --add-modules=jdk.incubator.vector -Xmx256m -jar crate-edge-agent-<version>-agent.jar [--until-done]
 * agent.yaml}. See {@link AgentRunner}.
 */
public final class AgentMain {
    private AgentMain() {
    }

    public static void main(String[] args) throws Exception {
        OpenBlasKernels.select();
        boolean untilDone = args.length == 2 && args[0].equals("--until-done");
        if (args.length != 1 && !untilDone) {
            System.err.println("usage: java -jar crate-edge-agent-agent.jar [--until-done] agent.yaml");
            System.exit(2);
        }
        AgentConfig config;
        try {
            config = AgentConfig.load(Path.of(args[args.length - 1]));
        } catch (IllegalArgumentException e) {
            System.err.println("crate agent: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.exit(AgentRunner.run(config, untilDone, System.out));
    }
}
