package ai.crate.ops.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code cluster up} started, kept in {@value #FILE} of the cluster directory so later commands (status,
 * submit, down) and tests find the processes: the Kafka bootstrap, Flink's REST address and every process.
 */
public record ClusterState(Path directory, String bootstrap, String restUrl, List<ClusterProcess> processes) {
    public static final String FILE = "cluster.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public ClusterState {
        processes = List.copyOf(processes);
    }

    public List<ClusterProcess> role(String role) {
        return processes.stream().filter(p -> p.role().equals(role)).toList();
    }

    /** This state with {@code process} (same role and index) replaced. */
    public ClusterState with(ClusterProcess process) {
        List<ClusterProcess> updated = new ArrayList<>();
        for (ClusterProcess p : processes) {
            updated.add(p.role().equals(process.role()) && p.index() == process.index() ? process : p);
        }
        return new ClusterState(directory, bootstrap, restUrl, updated);
    }

    public void write() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("bootstrap", bootstrap);
        root.put("rest_url", restUrl);
        ArrayNode list = root.putArray("processes");
        for (ClusterProcess p : processes) {
            ObjectNode node = list.addObject();
            node.put("role", p.role());
            node.put("index", p.index());
            node.put("pid", p.pid());
            node.put("port", p.port());
            node.put("log", p.log().toString());
            ArrayNode command = node.putArray("command");
            p.command().forEach(command::add);
        }
        Path temp = Files.createTempFile(directory, ".cluster", ".tmp");
        Files.writeString(temp, JSON.writeValueAsString(root));
        Files.move(temp, directory.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The state of the cluster in {@code directory}; fails naming the directory when there is none. */
    public static ClusterState read(Path directory) throws IOException {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(directory + ": no cluster here (no " + FILE + "); start one with"
                    + " `bin/crate cluster up --dir " + directory + "`");
        }
        JsonNode root = JSON.readTree(file.toFile());
        List<ClusterProcess> processes = new ArrayList<>();
        for (JsonNode node : root.path("processes")) {
            List<String> command = new ArrayList<>();
            node.path("command").forEach(c -> command.add(c.asText()));
            processes.add(new ClusterProcess(node.path("role").asText(), node.path("index").asInt(),
                    node.path("pid").asLong(), node.path("port").asInt(), Path.of(node.path("log").asText()),
                    command));
        }
        return new ClusterState(directory, root.path("bootstrap").asText(), root.path("rest_url").asText(),
                processes);
    }
}
