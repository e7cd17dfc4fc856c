package ai.crate.runtime.train;

import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.config.CrateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A training checkpoint is one file: a stale readable copy beside it (a crash between two writes) cannot mix in. */
class TrainingStateTest {
    private static final Map<String, String> RUN = Map.of("batch", "4", "seed", "1", "data", "shapes:64:1");

    @Test
    void theStepAndRunComeFromTheTensorsFileNotAStaleCopyBesideIt(@TempDir Path dir) throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 16).patchSize(8, 8).numClasses(3).dim(16).depth(2)
                .heads(2).dimHead(8).build();
        TrainableCrate trained = TrainableCrate.initialised(config, 7);
        Optimizer optimizer = Optimizer.create(Optimizer.Settings.defaults("sgd"));
        optimizer.restore(optimizer.state(), 3);
        Path base = dir.resolve("state");
        TrainingState.save(base, trained, optimizer, RUN);
        String atStep3 = Files.readString(TrainingState.infoFile(base));
        optimizer.restore(optimizer.state(), 5);
        TrainingState.save(base, trained, optimizer, RUN);
        Files.writeString(TrainingState.infoFile(base), atStep3);

        TrainableCrate resumed = TrainableCrate.initialised(config, 8);
        Optimizer fresh = Optimizer.create(Optimizer.Settings.defaults("sgd"));
        assertThat(TrainingState.restore(base, resumed, fresh, RUN)).contains(5L);
        assertThat(fresh.steps()).isEqualTo(5);
        assertThat(resumed.parameters().get(0).values()).isEqualTo(trained.parameters().get(0).values());

        assertThatThrownBy(() -> TrainingState.restore(base, resumed, Optimizer.create(
                Optimizer.Settings.defaults("sgd")), Map.of("batch", "8", "seed", "1", "data", "shapes:64:1")))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("state.safetensors: the checkpoint has"
                        + " batch 4, this run 8");
    }
}
