package ai.crate.edge;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The agent composes the runtime, patchify and ingest; it never imports Flink, the jobs or ops. */
class ArchitectureTest {
    @Test
    void theAgentDoesNotDependOnFlinkTheJobsOrOps() {
        JavaClasses agent = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("ai.crate.edge");
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "ai.crate.flink..",
                "ai.crate.ops..").check(agent);
    }
}
