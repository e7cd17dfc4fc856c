package ai.crate.ops.cli;

import ai.crate.edge.fleet.FleetView;
import ai.crate.edge.fleet.Rollout;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code crate fleet}: staged rollouts to edge agents and the fleet table. */
@Command(name = "fleet", mixinStandardHelpOptions = true, description = "Roll model versions out to edge agents in"
        + " waves, and show the fleet.", subcommands = {FleetCommand.RolloutCommand.class,
        FleetCommand.StatusCommand.class})
final class FleetCommand implements Runnable {

    @Override
    public void run() {
        System.err.println("crate fleet: give a subcommand: rollout or status");
    }

    /** {@code crate fleet rollout}: announces a version wave by wave, halting and rolling back past the threshold. */
    @Command(name = "rollout", mixinStandardHelpOptions = true, description = "Roll a version out to a group in"
            + " waves; halt and order a rollback when a wave's failures pass --max-failures. Exit 0 when every"
            + " device activated it, 1 when halted.")
    static final class RolloutCommand implements Callable<Integer> {
        @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka.")
        String bootstrap;

        @Option(names = "--model", required = true, description = "Model name.")
        String model;

        @Option(names = "--version", required = true, description = "The version to roll out.")
        String version;

        @Option(names = "--registry", paramLabel = "URL", description = "The registry the agents download from"
                + " (bin/crate registry serve); the version's manifest sha256 is read there.")
        String registry;

        @Option(names = "--sha256", description = "The version's manifest sha256, instead of --registry.")
        String sha256;

        @Option(names = "--group", required = true, description = "The agents' group.")
        String group;

        @Option(names = "--waves", defaultValue = "5%,25%,100%", description = "Cumulative fractions of the group"
                + " (default: ${DEFAULT-VALUE}).")
        String waves;

        @Option(names = "--max-failures", defaultValue = "2%", description = "Halt when a wave's failures pass"
                + " this fraction (default: ${DEFAULT-VALUE}).")
        String maxFailures;

        @Option(names = "--wave-timeout", defaultValue = "120", description = "Seconds a device has to answer"
                + " before it counts as failed (default: ${DEFAULT-VALUE}).")
        long waveTimeout;

        @Option(names = "--fleet-topic", defaultValue = "fleet-status")
        String fleetTopic;

        @Option(names = "--updates-topic", defaultValue = "model-updates")
        String updatesTopic;

        @Override
        public Integer call() throws Exception {
            List<Double> fractions = new ArrayList<>();
            for (String wave : waves.split(",")) {
                fractions.add(percent(wave, "--waves"));
            }
            String sha = sha256 != null ? sha256 : manifestSha256();
            Rollout.Report report = new Rollout(new Rollout.Settings(bootstrap, fleetTopic, updatesTopic, model,
                    version, sha, group, fractions, percent(maxFailures, "--max-failures"), waveTimeout * 1000,
                    5 * 60_000), line -> System.out.println("crate fleet: " + line)).run();
            System.out.println("crate fleet: " + report.reason());
            return report.completed() ? 0 : 1;
        }

        private String manifestSha256() throws Exception {
            if (registry == null) {
                throw new IllegalArgumentException("give --registry URL (to read the version's sha256) or --sha256");
            }
            URI uri = URI.create(registry.replaceAll("/+$", "") + "/v1/models/" + model + "/" + version);
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalArgumentException(uri + " answered " + response.statusCode() + ": "
                        + response.body().strip());
            }
            JsonNode record = new ObjectMapper().readTree(response.body());
            return record.path("manifest_sha256").asText();
        }

        private static double percent(String text, String option) {
            String t = text.trim();
            try {
                return t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100
                        : Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + text + "' is not a percentage like 25%");
            }
        }
    }

    /** {@code crate fleet status}: one line per agent from its latest heartbeat. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = "Print the fleet: device, group,"
            + " version, state, last seen, fps, spool.")
    static final class StatusCommand implements Callable<Integer> {
        @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka.")
        String bootstrap;

        @Option(names = "--group", description = "Only this group.")
        String group;

        @Option(names = "--fleet-topic", defaultValue = "fleet-status")
        String fleetTopic;

        @Override
        public Integer call() {
            FleetView fleet = FleetView.read(bootstrap, fleetTopic, Long.MAX_VALUE);
            long now = System.currentTimeMillis();
            System.out.printf(Locale.ROOT, "%-20s %-14s %-22s %-9s %10s %7s %10s%n", "device", "group", "model",
                    "state", "last seen", "fps", "spool");
            for (FleetView.Device d : fleet.devices().values()) {
                if (group != null && !group.equals(d.group())) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "%-20s %-14s %-22s %-9s %9.0fs %7.1f %10d%n", d.id(), d.group(),
                        d.model() + ":" + d.version(), d.state(), (now - d.lastSeenMillis()) / 1000.0, d.fps(),
                        d.spoolPending());
            }
            return 0;
        }
    }
}
