package ai.crate.ops.cli;

import ai.crate.runtime.signing.SigningKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code crate keys gen}: an Ed25519 key pair for signing bundles. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Signing keys for model bundles.",
        subcommands = KeysCommand.Gen.class)
final class KeysCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Writes {@code NAME.key} (owner-only) and {@code NAME.pub} into a directory. */
    @Command(name = "gen", mixinStandardHelpOptions = true,
            description = "Generate an Ed25519 key pair: DIR/NAME.key (keep it secret) and DIR/NAME.pub (give it to"
                    + " whoever must trust your bundles).")
    static final class Gen implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where to write the pair.")
        Path dir;

        @Option(names = "--name", defaultValue = "release", description = "File name stem (default: ${DEFAULT-VALUE}).")
        String name;

        @Override
        public Integer call() throws Exception {
            Path pub = SigningKeys.generate(dir, name);
            System.out.println("wrote " + dir.resolve(name + ".key") + " and " + pub + " (key id "
                    + SigningKeys.keyId(SigningKeys.readPublic(pub)) + ")");
            return 0;
        }
    }
}
