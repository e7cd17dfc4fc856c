package ai.crate.ops.cli;

import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.registry.RegistryServer;
import ai.crate.runtime.registry.VersionRecord;
import ai.crate.runtime.signing.TrustedKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code crate registry add|list|promote|retire|fetch|serve}: the model registry in a directory. */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "The model registry: content-addressed bundles, versions and their promotion history.",
        subcommands = {RegistryCommand.Add.class, RegistryCommand.ListVersions.class, RegistryCommand.Promote.class,
                RegistryCommand.Retire.class, RegistryCommand.Fetch.class, RegistryCommand.Serve.class})
final class RegistryCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Publishes a bundle as a candidate. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Publish a bundle as a candidate version (verified first; signed by a trusted key when"
                    + " --trusted is given).")
    static final class Add implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "REGISTRY")
        Path dir;

        @Option(names = "--bundle", required = true, paramLabel = "DIR")
        Path bundle;

        @Option(names = "--trusted", split = ",", paramLabel = "FILE.pub|DIR",
                description = "Require a signature by one of these keys.")
        List<Path> trusted;

        @Override
        public Integer call() throws Exception {
            Optional<TrustedKeys> keys = trusted == null ? Optional.empty() : Optional.of(TrustedKeys.load(trusted));
            VersionRecord record = ModelRegistry.open(dir).publish(bundle, keys);
            System.out.println(line(record));
            return 0;
        }
    }

    /** Lists models, or the versions of one. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List models, or one model's versions.")
    static final class ListVersions implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "REGISTRY")
        Path dir;

        @Option(names = "--model", paramLabel = "NAME")
        String model;

        @Option(names = "--history", description = "Also print each version's state changes.")
        boolean history;

        @Override
        public Integer call() throws Exception {
            ModelRegistry registry = ModelRegistry.open(dir);
            for (String name : model != null ? List.of(model) : registry.models()) {
                for (VersionRecord record : registry.versions(name)) {
                    System.out.println(line(record));
                    if (history) {
                        record.history().forEach(t -> System.out.println("    " + t.time() + " " + t.state().json()
                                + ": " + t.reason()));
                    }
                }
            }
            return 0;
        }
    }

    /** Candidate (or retired) → production; the previous production version is retired. */
    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Make a version the production one; the previous production version is retired.")
    static final class Promote implements Callable<Integer> {
        @Mixin
        VersionOptions at;

        @Option(names = "--reason", defaultValue = "promoted by hand", description = "Kept in the history.")
        String reason;

        @Override
        public Integer call() throws Exception {
            System.out.println(line(ModelRegistry.open(at.dir).promote(at.model, at.version, reason)));
            return 0;
        }
    }

    /** Any state → retired. */
    @Command(name = "retire", mixinStandardHelpOptions = true, description = "Withdraw a version.")
    static final class Retire implements Callable<Integer> {
        @Mixin
        VersionOptions at;

        @Option(names = "--reason", defaultValue = "retired by hand", description = "Kept in the history.")
        String reason;

        @Override
        public Integer call() throws Exception {
            System.out.println(line(ModelRegistry.open(at.dir).retire(at.model, at.version, reason)));
            return 0;
        }
    }

    /** Writes a version out as a bundle directory. */
    @Command(name = "fetch", mixinStandardHelpOptions = true, description = "Write a version as a bundle directory.")
    static final class Fetch implements Callable<Integer> {
        @Mixin
        VersionOptions at;

        @Option(names = "--output", required = true, paramLabel = "DIR", description = "Must not exist.")
        Path output;

        @Override
        public Integer call() throws Exception {
            ModelRegistry.open(at.dir).fetch(at.model, at.version, output);
            System.out.println("wrote " + output);
            return 0;
        }
    }

    /** Serves the registry read-only over HTTP until interrupted. */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Serve the registry over HTTP (read-only, range requests) until interrupted.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "REGISTRY")
        Path dir;

        @Option(names = "--port", defaultValue = "8710",
                description = "0 picks a free port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--host", defaultValue = "0.0.0.0", description = "Bind address (default: ${DEFAULT-VALUE}).")
        String host;

        @Override
        public Integer call() throws Exception {
            CountDownLatch stop = new CountDownLatch(1);
            try (RegistryServer server = RegistryServer.start(ModelRegistry.open(dir), host, port)) {
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                System.out.println("url=http://" + (host.equals("0.0.0.0") ? "127.0.0.1" : host) + ":" + server.port()
                        + "/v1/models");
                System.out.flush();
                stop.await();
            }
            return 0;
        }
    }

    /** The registry and the version a command acts on. */
    static final class VersionOptions {
        @Option(names = "--dir", required = true, paramLabel = "REGISTRY")
        Path dir;

        @Option(names = "--model", required = true, paramLabel = "NAME")
        String model;

        @Option(names = "--version", required = true, paramLabel = "V")
        String version;
    }

    static String line(VersionRecord record) {
        return record.name() + " " + record.version() + " " + record.state().json() + " manifest_sha256="
                + record.manifestSha256() + " size=" + record.sizeBytes() + " signed_by="
                + (record.signedBy() == null ? "-" : record.signedBy());
    }
}
