package ai.crate.patchify;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Patchify knows nothing of Kafka, Flink or the modules that compose it. */
class ArchitectureTest {
    @Test
    void patchifyDoesNotDependOnStreamingOrOps() {
        JavaClasses patchify = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("ai.crate.patchify");
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "org.apache.flink..",
                "ai.crate.ops..", "ai.crate.flink..", "ai.crate.ingest..", "ai.crate.edge..").check(patchify);
    }
}
