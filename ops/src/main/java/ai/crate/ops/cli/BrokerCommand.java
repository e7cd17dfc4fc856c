package ai.crate.ops.cli;

import ai.crate.ingest.IngestException;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.broker.PipelineTopics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code crate broker}: a real single-node KRaft Kafka in this process, with the pipeline's topics, until Ctrl-C. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Runs a single-node Kafka broker (KRaft) in-process and creates the pipeline's topics.",
                "Prints bootstrap=127.0.0.1:PORT when ready; Ctrl-C shuts it down cleanly."})
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "9092",
            description = "Client port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir",
            description = "Where the log lives; kept across restarts. Default: a temporary directory removed on exit.")
    Path dataDirectory;

    @Override
    public Integer call() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(port, dataDirectory);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            System.err.println("crate broker: shutting down");
            broker.close();
            stopped.countDown();
        }, "crate-broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            var created = broker.createPipelineTopics();
            System.err.println("crate broker: topics " + PipelineTopics.all((short) 1).stream().map(t -> t.name())
                    .toList() + (created.isEmpty() ? " (already there)" : " (created " + created.size() + ")")
                    + "; data in " + broker.dataDirectory());
        } catch (RuntimeException | IngestException e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            broker.close();
            throw e;
        }
        System.out.println("bootstrap=" + broker.bootstrap());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
