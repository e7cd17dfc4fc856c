package ai.crate.edge.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * A staged rollout of one model version to one group of edge agents: the group's agents (those with a heartbeat on
 * {@code fleet-status} within {@code liveWithinMillis}) are taken in device-id order and announced the version wave
 * by wave, each wave a cumulative fraction of them. After each wave it waits until every device of the wave reported
 * {@code model-activated} or {@code model-refused} for the version (or {@code waveTimeout} passed: a silent device
 * counts as failed). If the wave's failures exceed {@code maxFailures} (a fraction), every device that activated the
 * version in this rollout is ordered to roll back and the rollout halts. Usage: {@code new Rollout(settings,
 * progress::println).run()}.
 */
public final class Rollout {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Settings settings;
    private final Consumer<String> progress;

    /** What to roll out where, and the rules. */
    public record Settings(String bootstrap, String fleetTopic, String updatesTopic, String model, String version,
                           String sha256, String group, List<Double> waves, double maxFailures, long waveTimeoutMillis,
                           long liveWithinMillis) {
        public Settings {
            if (waves.isEmpty() || waves.get(waves.size() - 1) != 1.0) {
                throw new IllegalArgumentException("--waves must end at 100%, got " + waves);
            }
            for (int i = 0; i < waves.size(); i++) {
                if (!(waves.get(i) > 0 && waves.get(i) <= 1) || i > 0 && waves.get(i) <= waves.get(i - 1)) {
                    throw new IllegalArgumentException("--waves must be increasing fractions in (0, 100%], got "
                            + waves);
                }
            }
            if (!(maxFailures >= 0 && maxFailures < 1)) {
                throw new IllegalArgumentException("--max-failures must be a fraction in [0, 100%), got "
                        + maxFailures);
            }
        }
    }

    /** How a rollout ended: completed or halted, the devices per outcome, and why. */
    public record Report(boolean completed, List<String> activated, List<String> failed, List<String> rolledBack,
                         String reason) {
    }

    public Rollout(Settings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
    }

    public Report run() throws InterruptedException, ExecutionException {
        long started = System.currentTimeMillis();
        FleetView fleet = FleetView.read(settings.bootstrap(), settings.fleetTopic(), started);
        List<String> devices = new ArrayList<>();
        fleet.devices().values().stream().filter(d -> d.group().equals(settings.group()))
                .filter(d -> started - d.lastSeenMillis() <= settings.liveWithinMillis())
                .forEach(d -> devices.add(d.id()));
        if (devices.isEmpty()) {
            return new Report(false, List.of(), List.of(), List.of(), "no agent of group " + settings.group()
                    + " sent a heartbeat within " + settings.liveWithinMillis() / 1000 + " s");
        }
        progress.accept(String.format(Locale.ROOT, "rollout of %s version %s to group %s: %d devices, waves %s,"
                        + " halt above %.1f%% failures", settings.model(), settings.version(), settings.group(),
                devices.size(), settings.waves(), 100 * settings.maxFailures()));
        List<String> activated = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        int done = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer())) {
            for (int w = 0; w < settings.waves().size(); w++) {
                int upTo = (int) Math.ceil(settings.waves().get(w) * devices.size());
                List<String> wave = devices.subList(done, Math.max(done, upTo));
                if (wave.isEmpty()) {
                    continue;
                }
                producer.send(new ProducerRecord<>(settings.updatesTopic(), settings.model(),
                        announcement(wave, false))).get();
                progress.accept("wave " + (w + 1) + ": announced to " + wave);
                Map<String, String> outcome = await(wave, started);
                List<String> waveFailed = new ArrayList<>();
                outcome.forEach((device, result) -> {
                    if (result.equals("model-activated")) {
                        activated.add(device);
                    } else {
                        waveFailed.add(device + " (" + result + ")");
                    }
                });
                failed.addAll(waveFailed);
                done += wave.size();
                double rate = (double) waveFailed.size() / wave.size();
                progress.accept(String.format(Locale.ROOT, "wave %d: %d activated, %d failed (%.1f%%)%s", w + 1,
                        wave.size() - waveFailed.size(), waveFailed.size(), 100 * rate,
                        waveFailed.isEmpty() ? "" : ": " + waveFailed));
                if (rate > settings.maxFailures()) {
                    if (!activated.isEmpty()) {
                        producer.send(new ProducerRecord<>(settings.updatesTopic(), settings.model(),
                                announcement(activated, true))).get();
                        progress.accept("halted: rollback ordered for " + activated);
                    }
                    return new Report(false, List.of(), failed, List.copyOf(activated), String.format(Locale.ROOT,
                            "halted in wave %d: %.1f%% of its devices failed, above the %.1f%% allowed", w + 1,
                            100 * rate, 100 * settings.maxFailures()));
                }
            }
        }
        return new Report(true, activated, failed, List.of(), "completed: " + activated.size() + " of "
                + devices.size() + " devices activated version " + settings.version());
    }

    /** Waits for each device's outcome for this version: its event's name, or "no answer" after the timeout. */
    private Map<String, String> await(List<String> wave, long since) throws InterruptedException {
        Map<String, String> outcome = new LinkedHashMap<>();
        long deadline = System.currentTimeMillis() + settings.waveTimeoutMillis();
        while (true) {
            for (JsonNode event : FleetView.read(settings.bootstrap(), settings.fleetTopic(), since).events()) {
                String device = event.path("device_id").asText();
                String kind = event.path("event").asText();
                String version = kind.equals("model-activated") ? event.path("model").path("version").asText()
                        : event.path("announced").path("version").asText();
                if (wave.contains(device) && version.equals(settings.version())
                        && (kind.equals("model-activated") || kind.equals("model-refused"))) {
                    outcome.putIfAbsent(device, kind.equals("model-refused") ? "refused: "
                            + event.path("reason").asText() : kind);
                }
            }
            if (outcome.size() == wave.size() || System.currentTimeMillis() > deadline) {
                break;
            }
            Thread.sleep(500);
        }
        for (String device : wave) {
            outcome.putIfAbsent(device, "no answer within " + settings.waveTimeoutMillis() / 1000 + " s");
        }
        return outcome;
    }

    private String announcement(List<String> devices, boolean rollback) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", settings.model());
        root.put("version", settings.version());
        if (rollback) {
            root.put("action", "rollback");
        } else {
            root.put("sha256", settings.sha256());
        }
        root.put("group", settings.group());
        ArrayNode list = root.putArray("devices");
        devices.forEach(list::add);
        return root.toString();
    }
}
