package ai.crate.runtime.engine.fast;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Blocks start on cache lines at different offsets within a page, and hold exactly what is put in them; slices share
 * their block's memory and refuse ranges outside it.
 */
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

    @Test
    void aSliceSharesItsBlocksMemoryFromItsOffset() {
        try (NativeFloats block = new NativeFloats(100)) {
            NativeFloats slice = block.slice(40, 60);
            slice.put(0, new float[] {1.5f, 2.5f}, 0, 2);
            assertThat(block.bytes().getFloat(40 * 4)).isEqualTo(1.5f);
            assertThat(block.pointer().get(41)).isEqualTo(2.5f);
            block.put(99, new float[] {9f}, 0, 1);
            assertThat(slice.bytes().getFloat(59 * 4)).isEqualTo(9f);
            assertThat(slice.pointer().address()).isEqualTo(block.pointer().address() + 40 * 4);
            assertThat(slice.bytes().capacity()).isEqualTo(60 * 4);
            slice.close();
            assertThat(block.bytes().getFloat(40 * 4)).as("closing a slice frees nothing").isEqualTo(1.5f);
        }
    }

    @Test
    void aSliceOutsideItsBlockIsRefused() {
        try (NativeFloats block = new NativeFloats(100)) {
            assertThatThrownBy(() -> block.slice(40, 61)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("40 to 101").hasMessageContaining("block of 100");
            assertThatThrownBy(() -> block.slice(-1, 10)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
