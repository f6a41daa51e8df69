package io.swarmlet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeaturesTest {

    static final String XML = """
            <?xml version="1.0" encoding="UTF-8"?>
            <features xmlns="http://karaf.apache.org/xmlns/features/v1.6.0" name="test">
              <feature name="osgi" description="runtime">
                <bundle>mvn:org.apache.felix/org.apache.felix.scr/2.2.18</bundle>
              </feature>
              <feature name="core">
                <feature>osgi</feature>
                <bundle>mvn:io.swarmlet/io.swarmlet.api/1.0</bundle>
              </feature>
              <feature name="manager">
                <feature version="1.0">core</feature>
                <bundle>mvn:io.swarmlet/io.swarmlet.store/1.0</bundle>
              </feature>
              <feature name="worker">
                <feature>core</feature>
                <bundle>mvn:io.swarmlet/io.swarmlet.agent/1.0</bundle>
                <bundle start="false">mvn:io.swarmlet/io.swarmlet.extra/1.0/jar/linux</bundle>
              </feature>
            </features>
            """;

    static Features parse(String xml) {
        return Features.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "test.xml");
    }

    @Test
    void readsKarafFeaturesAndResolvesPrerequisitesFirstEachOnce() {
        Features f = parse(XML);
        assertEquals("test", f.name());
        assertEquals(List.of("osgi", "core", "manager", "worker"), List.copyOf(f.all().keySet()));
        assertEquals("runtime", f.all().get("osgi").description());
        assertEquals(List.of("osgi", "core", "worker", "manager"), f.resolve(List.of("worker", "manager")));
        assertEquals(List.of("org.apache.felix.scr-2.2.18.jar", "io.swarmlet.api-1.0.jar", "io.swarmlet.agent-1.0.jar",
                        "io.swarmlet.extra-1.0-linux.jar"),
                f.bundles(List.of("worker")).stream().map(Features.FeatureBundle::fileName).toList());
        assertFalse(f.bundles(List.of("worker")).get(3).start(), "start=\"false\" installs without starting");
        assertTrue(f.bundles(List.of("worker")).get(2).start());
    }

    @Test
    void mavenUrisMapToFileNames() {
        assertEquals("a-1.0.jar", Features.fileName("mvn:g/a/1.0"));
        assertEquals("a-1.0.war", Features.fileName("mvn:g/a/1.0/war"));
        assertEquals("a-1.0-x.jar", Features.fileName("mvn:g/a/1.0//x"));
        StartupException e = assertThrows(StartupException.class, () -> Features.fileName("file:/tmp/a.jar"));
        assertEquals("bundle file:/tmp/a.jar is not mvn:groupId/artifactId/version[/type[/classifier]]", e.getMessage());
    }

    @Test
    void anUnknownFeatureIsAnErrorThatListsTheKnownOnes() {
        StartupException e = assertThrows(StartupException.class, () -> parse(XML).resolve(List.of("web")));
        assertEquals("no feature web in the features file (it has: osgi, core, manager, worker)", e.getMessage());
    }

    @Test
    void aMissingPrerequisiteAndACycleAreErrors() {
        Features missing = parse("<features><feature name='a'><feature>b</feature></feature></features>");
        assertEquals("feature a needs feature b, which the features file does not define",
                assertThrows(StartupException.class, () -> missing.resolve(List.of("a"))).getMessage());
        Features cycle = parse("<features><feature name='a'><feature>b</feature></feature>"
                + "<feature name='b'><feature>a</feature></feature></features>");
        assertEquals("features need each other in a cycle: a -> b -> a",
                assertThrows(StartupException.class, () -> cycle.resolve(List.of("a"))).getMessage());
    }

    @Test
    void whatTheLauncherCannotHonourIsRefused() {
        assertTrue(assertThrows(StartupException.class, () -> parse("<features><feature name='a'>"
                + "<config name='x'>k=v</config></feature></features>")).getMessage()
                .contains("feature a has an unsupported element <config>"));
        assertTrue(assertThrows(StartupException.class, () -> parse("<features><feature name='a'/>"
                + "<feature name='a'/></features>")).getMessage().contains("defines feature a twice"));
        assertTrue(assertThrows(StartupException.class, () -> parse("<features><feature name='a'>"
                + "<bundle>a.jar</bundle></feature></features>")).getMessage()
                .contains("feature a: bundle a.jar is not mvn:"));
        assertTrue(assertThrows(StartupException.class, () -> parse("<features><feature"))
                .getMessage().startsWith("the features file test.xml is not valid XML"));
        assertTrue(assertThrows(StartupException.class, () -> parse("<!DOCTYPE x [<!ENTITY e 'x'>]><features/>"))
                .getMessage().startsWith("the features file test.xml is not valid XML"));
    }

    @Test
    void mergedFilesWriteBackAsOneFeaturesFileThatReadsTheSame() {
        Features plugin = parse("<features name='p'><feature name='maintenance'><feature>worker</feature>"
                + "<bundle>mvn:io.swarmlet/io.swarmlet.sample.maintenance/1.0</bundle></feature></features>");
        Features merged = Features.merge("custom", List.of(parse(XML), plugin));
        Features again = parse(merged.toXml());
        assertEquals("custom", again.name());
        assertEquals(merged.all(), again.all());
        assertEquals(List.of("osgi", "core", "worker", "maintenance"), again.resolve(List.of("maintenance")));

        StartupException e = assertThrows(StartupException.class,
                () -> Features.merge("twice", List.of(parse(XML), parse(XML))));
        assertTrue(e.getMessage().startsWith("feature osgi is defined in more than one features file"), e.getMessage());
    }
}
