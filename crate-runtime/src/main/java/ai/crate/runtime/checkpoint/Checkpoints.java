package ai.crate.runtime.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Opens a checkpoint file of any supported kind, recognised by its first bytes (not its name): a {@code torch.save}
 * zip archive or a {@code .safetensors} file. Legacy (pre-1.6) torch files and anything else are refused with a
 * message saying what the file looks like.
 */
public final class Checkpoints {
    private Checkpoints() {
    }

    public static StateDict read(Path file) throws CheckpointException {
        byte[] head = new byte[9];
        int read;
        try (InputStream in = Files.newInputStream(file)) {
            read = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")");
        }
        try {
            if (read >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
                return TorchCheckpointReader.read(file);
            }
            if (read == 9 && head[8] == '{') {
                return SafetensorsReader.read(file);
            }
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (read >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            throw new CheckpointException(file + ": a legacy (pre-zip) torch.save file or a plain pickle; re-save it"
                    + " with torch.save(obj, path) from PyTorch >= 1.6, or as .safetensors");
        }
        if (read == 0) {
            throw new CheckpointException(file + ": empty file");
        }
        throw new CheckpointException(file + ": not a checkpoint (neither a torch.save zip archive nor a"
                + " .safetensors file" + (read >= 8 ? ", first bytes " + describe(head) : "") + ")");
    }

    /** The string metadata in a {@code .safetensors} file's header ({@code __metadata__}), empty when it has none. */
    public static Map<String, String> safetensorsMetadata(Path file) throws CheckpointException {
        try {
            return SafetensorsReader.metadata(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static String describe(byte[] head) {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            hex.append(String.format("%02x", head[i]));
        }
        return hex.toString();
    }
}
