package ai.crate.ingest.feedback;

import ai.crate.ingest.IngestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The feedback record in JSON and in CSV files, and every malformed form refused with what is wrong. */
class FeedbackTest {

    @Test
    void recordsRoundTripThroughJson() throws Exception {
        Feedback f = new Feedback("cam-7", 42, "star", "operator:alice", 1795937528578L);
        assertThat(Feedback.parse(f.toJson())).isEqualTo(f);
        assertThat(new String(f.toJson(), StandardCharsets.UTF_8)).isEqualTo("{\"camera_id\":\"cam-7\",\"seq\":42,"
                + "\"label\":\"star\",\"source\":\"operator:alice\",\"time_ms\":1795937528578}");
    }

    @Test
    void malformedRecordsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Feedback.parse("nope".getBytes())).isInstanceOf(IngestException.class)
                .hasMessageContaining("must be JSON");
        assertThatThrownBy(() -> Feedback.parse("{\"camera_id\":\"c\",\"seq\":1,\"source\":\"s\",\"time_ms\":1}"
                .getBytes())).hasMessageContaining("the string field 'label'");
        assertThatThrownBy(() -> Feedback.parse(("{\"camera_id\":\"c\",\"seq\":\"1\",\"label\":\"x\",\"source\":\"s\","
                + "\"time_ms\":1}").getBytes())).hasMessageContaining("the whole-number field 'seq'");
        assertThatThrownBy(() -> Feedback.parse(("{\"camera_id\":\"c\",\"seq\":-3,\"label\":\"x\",\"source\":\"s\","
                + "\"time_ms\":1}").getBytes())).hasMessageContaining("seq must be 0 or more, got -3");
    }

    @Test
    void csvFilesAreCheckedWholeBeforeAnythingIsReturned(@TempDir Path temp) throws Exception {
        Path good = temp.resolve("good.csv");
        Files.writeString(good, "# camera,seq,label\ncam-1, 3, star\n\ncam-2,10,cross\n");
        List<Feedback> read = FeedbackFile.read(good, "audit", 5);
        assertThat(read).containsExactly(new Feedback("cam-1", 3, "star", "audit", 5),
                new Feedback("cam-2", 10, "cross", "audit", 5));

        Path bad = temp.resolve("bad.csv");
        Files.writeString(bad, "cam-1,3,star\ncam-2,ten,cross\n");
        assertThatThrownBy(() -> FeedbackFile.read(bad, "audit", 5))
                .hasMessageContaining("bad.csv:2: seq must be a whole number, got 'ten'");
        Files.writeString(bad, "cam-1,3\n");
        assertThatThrownBy(() -> FeedbackFile.read(bad, "audit", 5))
                .hasMessageContaining("bad.csv:1: expected camera_id,seq,label");
        Files.writeString(bad, "cam-1,3, \n");
        assertThatThrownBy(() -> FeedbackFile.read(bad, "audit", 5)).hasMessageContaining("bad.csv:1: feedback for"
                + " cam-1/3 needs a label");
        Files.writeString(bad, "# nothing\n");
        assertThatThrownBy(() -> FeedbackFile.read(bad, "audit", 5)).hasMessageContaining("holds no labels");
    }
}
