package ai.crate.runtime.engine.fast;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Blocks start on cache lines at different offsets within a page, and hold exactly what is put in them. */
class NativeFloatsTest {
    @Test
    void consecutiveBlocksStartOnCacheLinesAtDifferentPageOffsets() {
        List<NativeFloats> blocks = new ArrayList<>();
        try {
            Set<Long> offsets = new HashSet<>();
            for (int i = 0; i < 64; i++) {
                NativeFloats block = new NativeFloats(600_000 + i, i);
                blocks.add(block);
                long offset = block.pointer().address() % 4096;
                assertThat(offset).as("block %d's offset within its page", i).isEqualTo((17L * i % 64) * 64);
                offsets.add(offset);
                assertThat(block.bytes().capacity()).isEqualTo((600_000 + i) * 4);
            }
            assertThat(offsets).as("offsets within a page of 64 consecutive blocks").hasSize(64);
        } finally {
            blocks.forEach(NativeFloats::close);
        }
    }

    @Test
    void holdsWhatIsPutAtBothEnds() {
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i * 0.5f - 7f;
        }
        try (NativeFloats block = NativeFloats.of(values)) {
            float[] back = new float[values.length];
            block.get(0, back, 0, back.length);
            assertThat(back).containsExactly(values);
            block.put(999, new float[] {42f}, 0, 1);
            assertThat(block.bytes().getFloat(999 * 4)).isEqualTo(42f);
            assertThat(block.pointer().get(999)).isEqualTo(42f);
        }
    }
}
