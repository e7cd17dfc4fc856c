package ai.crate.flink;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ModelAnnouncementTest {
    private static final String SHA = "ab".repeat(32);

    private static ModelAnnouncement parse(String json) {
        return ModelAnnouncement.parse(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aCompleteAnnouncementParsesAndRoundTrips() {
        ModelAnnouncement a = parse("{\"name\":\"m\",\"version\":\"2\",\"bundle_uri\":\"file:///x\",\"sha256\":\""
                + SHA.toUpperCase() + "\"}");
        assertThat(a.isBad()).isFalse();
        assertThat(a.sha256).isEqualTo(SHA);
        ModelAnnouncement again = parse(a.toJson());
        assertThat(again.toJson()).isEqualTo(a.toJson());
        assertThat(again.toString()).isEqualTo("m version 2 at file:///x");
    }

    @Test
    void badRecordsComeBackWithTheReasonInsteadOfThrowing() {
        assertThat(parse("{oops").error).startsWith("a model-updates record must be JSON");
        assertThat(parse("[1,2]").error).contains("must be a JSON object");
        assertThat(parse(null).error).contains("an empty record");
        assertThat(parse("{\"name\":\"m\",\"version\":2,\"sha256\":\"" + SHA + "\"}").error)
                .contains("missing or not a string: version, bundle_uri");
        assertThat(parse("{\"name\":\"m\",\"version\":\"2\",\"bundle_uri\":\"/x\",\"sha256\":\"abc\"}").error)
                .contains("64 hexadecimal digits, got 'abc'");
    }
}
