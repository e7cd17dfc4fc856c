package ai.crate.edge.spool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * The process {@link SpoolPublisherITCase} kills with {@code kill -9}: appends numbered records to a spool with a
 * publisher pointed at an unreachable broker (an outage), printing each sequence once it was appended.
 * Arguments: spool directory, bootstrap.
 */
public final class SpoolWriterMain {
    private SpoolWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Spool spool = Spool.open(Path.of(args[0]), SpoolLimits.defaults(), FsyncPolicy.parse("interval:100"),
                Clock.systemUTC());
        SpoolPublisher.start(spool, args[1], "kill-test", Map.of());
        for (int i = 1; ; i++) {
            long sequence = spool.append("predictions", ("cam-" + i % 3).getBytes(StandardCharsets.UTF_8),
                    Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            System.out.println("appended " + sequence);
            System.out.flush();
            Thread.sleep(2);
        }
    }
}
