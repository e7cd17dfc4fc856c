package ai.crate.ingest.feedback;

import ai.crate.ingest.IngestException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Labels in a CSV file, one per line: {@code camera_id,seq,label}; blank lines and lines starting with {@code #}
 * are skipped. The whole file is checked before anything is returned, so a bad line sends nothing.
 */
public final class FeedbackFile {
    private FeedbackFile() {
    }

    /** The file's feedback, all with {@code source} and {@code timeMillis}. */
    public static List<Feedback> read(Path file, String source, long timeMillis) throws IngestException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IngestException("cannot read feedback file " + file + ": " + e.getMessage());
        }
        List<Feedback> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(",", -1);
            if (parts.length != 3) {
                throw new IngestException(file + ":" + (i + 1) + ": expected camera_id,seq,label, got '" + line + "'");
            }
            try {
                out.add(new Feedback(parts[0].strip(), Long.parseLong(parts[1].strip()), parts[2].strip(), source,
                        timeMillis));
            } catch (NumberFormatException e) {
                throw new IngestException(file + ":" + (i + 1) + ": seq must be a whole number, got '"
                        + parts[1].strip() + "'");
            } catch (IllegalArgumentException e) {
                throw new IngestException(file + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        if (out.isEmpty()) {
            throw new IngestException("feedback file " + file + " holds no labels");
        }
        return out;
    }
}
