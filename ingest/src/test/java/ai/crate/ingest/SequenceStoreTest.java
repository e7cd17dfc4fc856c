package ai.crate.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SequenceStoreTest {
    @TempDir
    Path state;

    @Test
    void cleanRestartContinuesWithoutAGap() throws IngestException {
        try (SequenceStore store = SequenceStore.open(state, "cam/1 ü")) {
            assertThat(store.next()).isZero();
            assertThat(store.next()).isEqualTo(1);
        }
        try (SequenceStore store = SequenceStore.open(state, "cam/1 ü")) {
            assertThat(store.next()).isEqualTo(2);
        }
    }

    @Test
    void crashLeavesAGapButNeverReusesANumber() throws Exception {
        Path copy = Files.createDirectories(state.resolve("after-crash"));
        try (SequenceStore store = SequenceStore.open(state, "cam")) {
            for (int i = 0; i < 5; i++) {
                store.next();
            }
            try (var files = Files.list(state)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".seq")).toList()) {
                    Files.copy(file, copy.resolve(file.getFileName()));
                }
            }
        }
        try (SequenceStore store = SequenceStore.open(copy, "cam")) {
            assertThat(store.next()).isEqualTo(SequenceStore.BLOCK);
        }
    }

    @Test
    void secondProcessForTheSameCameraIsRefused() throws IngestException {
        try (SequenceStore ignored = SequenceStore.open(state, "cam")) {
            assertThatThrownBy(() -> SequenceStore.open(state, "cam")).isInstanceOf(IngestException.class)
                    .hasMessageContaining("camera 'cam'");
        }
    }

    @Test
    void unreadableStateIsAnErrorNotAReset() throws Exception {
        try (SequenceStore store = SequenceStore.open(state, "cam")) {
            store.next();
        }
        try (var files = Files.list(state)) {
            Path seq = files.filter(f -> f.toString().endsWith(".seq")).findFirst().orElseThrow();
            Files.writeString(seq, "garbage");
        }
        assertThatThrownBy(() -> SequenceStore.open(state, "cam")).hasMessageContaining("holds 'garbage'")
                .hasMessageContaining("not a non-negative number");
    }
}
