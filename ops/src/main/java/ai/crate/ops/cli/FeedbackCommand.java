package ai.crate.ops.cli;

import ai.crate.ingest.broker.PipelineTopics;
import ai.crate.ingest.feedback.Feedback;
import ai.crate.ingest.feedback.FeedbackFile;
import ai.crate.ingest.feedback.FeedbackPublisher;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate feedback}: sends labels for frames to the {@code feedback} topic, one or a CSV file of them. */
@Command(name = "feedback", mixinStandardHelpOptions = true,
        description = "Send labelled feedback (frame seq of camera C shows label L) to the feedback topic.")
final class FeedbackCommand implements Callable<Integer> {
    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
    String bootstrap;

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    @Option(names = "--source", defaultValue = "cli", description = "Who says so (default: ${DEFAULT-VALUE}).")
    String source;

    @Option(names = "--topic", defaultValue = PipelineTopics.FEEDBACK, description = "Default: ${DEFAULT-VALUE}.")
    String topic;

    /** One label, or a file of them. */
    static final class What {
        @ArgGroup(exclusive = false)
        One one;

        @Option(names = "--file", paramLabel = "LABELS.csv", description = "Lines of camera_id,seq,label.")
        Path file;
    }

    /** A single label. */
    static final class One {
        @Option(names = "--camera", required = true, paramLabel = "ID")
        String camera;

        @Option(names = "--seq", required = true, paramLabel = "N")
        long seq;

        @Option(names = "--label", required = true, paramLabel = "LABEL")
        String label;
    }

    @Override
    public Integer call() throws Exception {
        long now = System.currentTimeMillis();
        List<Feedback> feedback = what.file != null ? FeedbackFile.read(what.file, source, now)
                : List.of(new Feedback(what.one.camera, what.one.seq, what.one.label, source, now));
        FeedbackPublisher.publish(bootstrap, topic, feedback);
        System.out.println("sent " + feedback.size() + " label" + (feedback.size() == 1 ? "" : "s") + " to " + topic);
        return 0;
    }
}
