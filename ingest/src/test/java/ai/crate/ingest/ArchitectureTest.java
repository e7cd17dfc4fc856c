package ai.crate.ingest;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Ingest knows nothing of Flink or the modules that compose it; only its broker package touches the Kafka server. */
class ArchitectureTest {
    private final JavaClasses ingest = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("ai.crate.ingest");

    @Test
    void ingestDoesNotDependOnFlinkOrComposingModules() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "ai.crate.ops..",
                "ai.crate.flink..", "ai.crate.edge..").check(ingest);
    }

    @Test
    void onlyTheBrokerPackageUsesTheKafkaServer() {
        noClasses().that().resideOutsideOfPackage("ai.crate.ingest.broker..").should().dependOnClassesThat()
                .resideInAnyPackage("kafka..", "org.apache.kafka.metadata..", "org.apache.kafka.raft..",
                        "org.apache.kafka.server..").check(ingest);
    }
}
