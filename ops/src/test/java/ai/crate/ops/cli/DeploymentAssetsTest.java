package ai.crate.ops.cli;

import ai.crate.flink.FineTuneOptions;
import ai.crate.flink.InferenceOptions;
import ai.crate.ingest.broker.PipelineTopics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The deployment assets under {@code ops/} cannot rot: they parse, their topics are the pipeline's topics with the
 * same partitions and settings, every job argument list is accepted by the job's own option parser, every {@code
 * bin/crate} command line by the CLI's, and every metric an alert or dashboard names is one the pipeline exports.
 */
class DeploymentAssetsTest {
    private static final Path OPS = Path.of(".").toAbsolutePath().normalize();
    private static final Path DOCS = OPS.resolveSibling("docs");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TOPIC_OPTIONS = Set.of("--frames-topic", "--predictions-topic", "--dlq-topic",
            "--codes-topic", "--updates-topic", "--fleet-topic", "--drift-topic", "--feedback-topic",
            "--training-topic");

    @Test
    void everyManifestAndDashboardParses() throws IOException {
        List<Path> files = assets();
        assertThat(files).extracting(p -> OPS.relativize(p).toString()).contains("k8s/kafka.yaml",
                "k8s/flink-inference.yaml", "k8s/flink-finetune.yaml", "k8s/registry.yaml", "compose/compose.yaml",
                "prometheus/prometheus.yml", "prometheus/alerts.yml", "grafana/crate-pipeline.json", "edge/agent.yaml");
        for (Path file : files) {
            assertThat(documents(file)).as(file.toString()).isNotEmpty().allSatisfy(d ->
                    assertThat(d.isObject()).as(file.toString()).isTrue());
        }
    }

    @Test
    void strimziTopicsAreThePipelineTopicsWithTheirPartitionsAndSettings() throws IOException {
        Map<String, JsonNode> declared = new HashMap<>();
        for (JsonNode doc : documents(OPS.resolve("k8s/kafka.yaml"))) {
            if (doc.path("kind").asText().equals("KafkaTopic")) {
                declared.put(doc.path("metadata").path("name").asText(), doc.path("spec"));
            }
        }
        List<NewTopic> expected = PipelineTopics.all((short) 3);
        assertThat(declared.keySet()).containsExactlyInAnyOrderElementsOf(expected.stream().map(NewTopic::name).toList());
        for (NewTopic topic : expected) {
            JsonNode spec = declared.get(topic.name());
            assertThat(spec.path("partitions").asInt()).as(topic.name()).isEqualTo(topic.numPartitions());
            assertThat(spec.path("replicas").asInt()).as(topic.name()).isEqualTo(3);
            Map<String, String> config = new HashMap<>();
            spec.path("config").fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
            assertThat(config).as(topic.name()).isEqualTo(topic.configs());
        }
    }

    @Test
    void everyJobArgumentListIsAcceptedByTheJobsOwnParser() throws IOException {
        List<String> checked = new ArrayList<>();
        for (String file : List.of("k8s/flink-inference.yaml", "k8s/flink-finetune.yaml")) {
            for (JsonNode doc : documents(OPS.resolve(file))) {
                JsonNode job = doc.path("spec").path("job");
                checkJob(file, job.path("entryClass").asText(), strings(job.path("args")));
                checked.add(file);
            }
        }
        JsonNode services = documents(OPS.resolve("compose/compose.yaml")).get(0).path("services");
        for (Map.Entry<String, JsonNode> service : iterable(services)) {
            List<String> command = strings(service.getValue().path("command"));
            int jar = command.indexOf("/opt/flink/usrlib/crate-flink-jobs-0.1.0-SNAPSHOT-job.jar");
            if (!command.isEmpty() && command.get(0).equals("flink")) {
                checkJob("compose " + service.getKey(), command.get(command.indexOf("--class") + 1),
                        command.subList(jar + 1, command.size()));
                checked.add("compose " + service.getKey());
            }
        }
        assertThat(checked).hasSize(4);
    }

    @Test
    void everyCliCommandLineInTheAssetsIsOneTheCliAccepts() throws IOException {
        List<List<String>> commands = new ArrayList<>();
        JsonNode services = documents(OPS.resolve("compose/compose.yaml")).get(0).path("services");
        for (Map.Entry<String, JsonNode> service : iterable(services)) {
            if (service.getValue().path("image").asText().contains("/crate/cli:")) {
                commands.add(strings(service.getValue().path("command")));
            }
        }
        for (JsonNode doc : documents(OPS.resolve("k8s/registry.yaml"))) {
            for (JsonNode container : doc.path("spec").path("template").path("spec").path("containers")) {
                commands.add(strings(container.path("args")));
            }
        }
        assertThat(commands).hasSize(3);
        for (List<String> command : commands) {
            assertThatCode(() -> new CommandLine(new CrateCli()).parseArgs(command.toArray(String[]::new)))
                    .as(String.join(" ", command)).doesNotThrowAnyException();
        }
    }

    @Test
    void everyMetricAnAlertOrPanelNamesIsExported() throws IOException {
        Set<String> flink = new TreeSet<>();
        Matcher documented = Pattern.compile("`([A-Za-z_]+)(\\{[^`]*})?`").matcher(Files.readString(DOCS.resolve(
                "metrics.md")));
        while (documented.find()) {
            flink.add(documented.group(1));
        }
        String agentDoc = Files.readString(DOCS.resolve("edge-agent.md"));
        String rules = Files.readString(OPS.resolve("prometheus/alerts.yml"))
                + Files.readString(OPS.resolve("grafana/crate-pipeline.json"));
        Matcher used = Pattern.compile("flink_taskmanager_job_task_operator_([A-Za-z_]+)").matcher(rules);
        int count = 0;
        while (used.find()) {
            assertThat(flink).as("docs/metrics.md documents " + used.group(1)).contains(used.group(1));
            count++;
        }
        Matcher agent = Pattern.compile("crate_agent_[a-z_]+").matcher(rules);
        while (agent.find()) {
            assertThat(agentDoc).as("docs/edge-agent.md documents " + agent.group()).contains(agent.group());
            count++;
        }
        assertThat(count).isGreaterThan(15);
    }

    private static void checkJob(String where, String entryClass, List<String> args) {
        assertThat(args).as(where).isNotEmpty();
        switch (entryClass) {
            case "ai.crate.flink.InferenceJob" -> assertThatCode(() -> InferenceOptions.parse(args.toArray(String[]::new)))
                    .as(where).doesNotThrowAnyException();
            case "ai.crate.flink.FineTuneJob" -> assertThatCode(() -> FineTuneOptions.parse(args.toArray(String[]::new)))
                    .as(where).doesNotThrowAnyException();
            default -> throw new AssertionError(where + ": unknown entry class " + entryClass);
        }
        Set<String> topics = new TreeSet<>(PipelineTopics.all((short) 1).stream().map(NewTopic::name).toList());
        for (int i = 0; i < args.size() - 1; i++) {
            if (TOPIC_OPTIONS.contains(args.get(i))) {
                assertThat(topics).as(where + " " + args.get(i)).contains(args.get(i + 1));
            }
        }
    }

    private static List<Path> assets() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String dir : List.of("k8s", "compose", "prometheus", "grafana", "edge")) {
            try (Stream<Path> walk = Files.walk(OPS.resolve(dir))) {
                walk.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$")).sorted().forEach(files::add);
            }
        }
        return files;
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        if (file.toString().endsWith(".json")) {
            return List.of(JSON.readTree(file.toFile()));
        }
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var iterator = YAML.readValues(parser, JsonNode.class);
            while (iterator.hasNext()) {
                JsonNode doc = iterator.next();
                if (doc != null && !doc.isMissingNode() && !(doc instanceof ObjectNode o && o.isEmpty())) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode object) {
        return object::fields;
    }
}
