package ai.crate.ops.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The class path of a Flink {@value #FLINK_VERSION} JobManager or TaskManager: Flink's own jars only, as a Flink
 * distribution would have (no distribution can be downloaded here, so Maven resolves them from Maven Central's
 * artifacts: runtime, clients, the web frontend for jar submission, the Prometheus reporter, and the slf4j 1.7
 * binding that matches the slf4j-api Flink brings, so each process logs to its log file). The result is cached in
 * {@code ~/.cache/crate/}; the jobs jar brings everything else.
 */
final class FlinkClasspath {
    static final String FLINK_VERSION = "2.2.1";
    private static final String POM = """
            <project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
              <groupId>ai.crate.cluster</groupId><artifactId>flink-lib</artifactId><version>1</version>
              <dependencies>
                <dependency><groupId>org.apache.flink</groupId><artifactId>flink-streaming-java</artifactId><version>%1$s</version></dependency>
                <dependency><groupId>org.apache.flink</groupId><artifactId>flink-clients</artifactId><version>%1$s</version></dependency>
                <dependency><groupId>org.apache.flink</groupId><artifactId>flink-runtime-web</artifactId><version>%1$s</version></dependency>
                <dependency><groupId>org.apache.flink</groupId><artifactId>flink-metrics-prometheus</artifactId><version>%1$s</version></dependency>
                <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
              </dependencies>
            </project>
            """;

    private FlinkClasspath() {
    }

    /** The class path, resolved once (offline first, then from Maven Central) and cached. */
    static String resolve(Path work) throws IOException, InterruptedException {
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "crate", "flink-" + FLINK_VERSION
                + "-slf4j-1.7.classpath");
        if (Files.isRegularFile(cache)) {
            String cached = Files.readString(cache).strip();
            if (!cached.isEmpty() && List.of(cached.split(":")).stream().allMatch(j -> Files.isRegularFile(Path.of(j)))) {
                return cached;
            }
        }
        Path directory = Files.createDirectories(work.resolve("flink-lib"));
        Files.writeString(directory.resolve("pom.xml"), POM.formatted(FLINK_VERSION));
        Path output = directory.resolve("classpath.txt");
        for (boolean offline : new boolean[] {true, false}) {
            List<String> command = new java.util.ArrayList<>(List.of("mvn", "-B", "-q", "-f",
                    directory.resolve("pom.xml").toString(), "dependency:build-classpath",
                    "-Dmdep.outputFile=" + output));
            if (offline) {
                command.add(1, "-o");
            }
            Process mvn = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("mvn.log").toFile()).start();
            if (!mvn.waitFor(10, TimeUnit.MINUTES)) {
                mvn.destroyForcibly();
                throw new IOException("resolving Flink's jars with Maven timed out; see " + directory.resolve("mvn.log"));
            }
            if (mvn.exitValue() == 0 && Files.isRegularFile(output)) {
                String classpath = Files.readString(output).strip();
                Files.createDirectories(cache.getParent());
                Files.writeString(cache, classpath);
                return classpath;
            }
        }
        throw new IOException("Maven could not resolve Flink " + FLINK_VERSION + "'s jars (see "
                + directory.resolve("mvn.log") + "); the cluster needs Maven and Maven Central or a filled ~/.m2");
    }
}
