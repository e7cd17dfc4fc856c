package ai.crate.ops.cli;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code crate feedback} to the embedded broker, read back with {@code crate tail feedback}; a bad file sends nothing.
 */
class FeedbackCliITCase {
    @TempDir
    Path temp;
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void labelsAreSentAndReadBackAndABadFileSendsNothing() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            broker.createPipelineTopics();
            String bootstrap = broker.bootstrap();
            Path labels = temp.resolve("labels.csv");
            Files.writeString(labels, "cam-1,3,star\ncam-2,10,cross\n");
            assertThat(CrateCli.run("feedback", "--bootstrap", bootstrap, "--file", labels.toString(), "--source",
                    "audit")).as(console.err()).isZero();
            assertThat(CrateCli.run("feedback", "--bootstrap", bootstrap, "--camera", "cam-1", "--seq", "4",
                    "--label", "arrow")).as(console.err()).isZero();
            Path bad = temp.resolve("bad.csv");
            Files.writeString(bad, "cam-9,1,star\ncam-9,x,star\n");
            assertThat(CrateCli.run("feedback", "--bootstrap", bootstrap, "--file", bad.toString())).isEqualTo(1);
            assertThat(console.err()).contains("bad.csv:2: seq must be a whole number");

            assertThat(CrateCli.run("tail", "feedback", "--bootstrap", bootstrap, "--from-beginning",
                    "--idle-exit", "3")).as(console.err()).isZero();
            assertThat(console.out()).contains("cam-1 frame 3 label=star source=audit")
                    .contains("cam-2 frame 10 label=cross source=audit")
                    .contains("cam-1 frame 4 label=arrow source=cli").doesNotContain("cam-9");
        }
    }
}
