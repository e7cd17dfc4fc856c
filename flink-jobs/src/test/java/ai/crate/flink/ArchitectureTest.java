package ai.crate.flink;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The jobs compose the runtime, patchify and ingest; they never import ops or the edge agent. */
class ArchitectureTest {
    @Test
    void jobsDoNotDependOnOpsOrTheEdgeAgent() {
        JavaClasses jobs = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("ai.crate.flink");
        noClasses().should().dependOnClassesThat().resideInAnyPackage("ai.crate.ops..", "ai.crate.edge..")
                .check(jobs);
    }
}
