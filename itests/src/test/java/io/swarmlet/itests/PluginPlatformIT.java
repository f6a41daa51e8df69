package io.swarmlet.itests;

import io.swarmlet.api.testing.FreePorts;
import static org.junit.Assert.*;
import static org.ops4j.pax.exam.CoreOptions.*;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.node.Modules;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.Store;
import io.swarmlet.api.types.*;
import io.swarmlet.itests.throwing.ThrowingFilter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The plugin platform inside one running framework (Pax Exam, Felix, SCR):
 * a manager's bundles with the scheduler, orchestrator and updater, and no
 * agent (tasks stop at ASSIGNED, which is what the scheduler decides).
 * Updating the scheduler bundle through {@link Modules} (what
 * {@code swarmlet module update} calls) brings a new revision that places the
 * next service's tasks while the store keeps everything; a plugin whose
 * component throws in activate leaves the daemon serving and placing.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PluginPlatformIT {

    static final String SCHEDULER = "io.swarmlet.scheduler";
    static final String NEW_VERSION = "0.1.0.updated";

    @Inject
    private ControlApi control;

    @Inject
    private Store store;

    @Inject
    private Modules modules;

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws IOException {
        Path state = Files.createTempDirectory(Path.of("/tmp"), "swl-plat-");
        Path repo = Paths.get(System.getProperty("org.ops4j.pax.url.mvn.localRepository",
                System.getProperty("user.home") + "/.m2/repository"));
        Path scheduler = repo.resolve("io/swarmlet/io.swarmlet.scheduler/0.1.0-SNAPSHOT/io.swarmlet.scheduler-0.1.0-SNAPSHOT.jar");
        Path updated = withVersion(scheduler, NEW_VERSION, state.resolve("scheduler-updated.jar"));
        Path throwing = throwingPlugin(state.resolve("throwing-plugin.jar"));
        return options(
                junitBundles(),
                frameworkProperty("swarmlet.state.dir").value(state.toString()),
                frameworkProperty("swarmlet.control.socket").value(state.resolve("c.sock").toString()),
                frameworkProperty("swarmlet.remote.addr").value("127.0.0.1:" + FreePorts.next()),
                frameworkProperty("swarmlet.raft.addr").value("127.0.0.1:" + FreePorts.next()),
                frameworkProperty("swarmlet.hostname").value("plat-01"),
                systemProperty("org.ops4j.pax.exam.service.timeout").value("60000"),
                systemProperty("swarmlet.it.scheduler.updated").value(updated.toString()),
                systemProperty("swarmlet.it.throwing.plugin").value(throwing.toString()),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.apache.logging.log4j", "log4j-api").versionAsInProject(),
                mavenBundle("com.google.protobuf", "protobuf-java").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.api").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.grpc").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.store").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.secrets").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.ca").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.node").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.controlapi").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.scheduler").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.orchestrator").versionAsInProject(),
                mavenBundle("io.swarmlet", "io.swarmlet.updater").versionAsInProject());
    }

    /** The same scheduler jar with another Bundle-Version: a new revision, recognisable once it runs. */
    static Path withVersion(Path jar, String version, Path out) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest m = new Manifest(in.getManifest());
            m.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), m)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    o.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(o);
                    o.closeEntry();
                }
            }
        }
        return out;
    }

    /** A bundle with one DS component, {@link ThrowingFilter}, whose activate throws. */
    static Path throwingPlugin(Path out) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(new Attributes.Name("Bundle-ManifestVersion"), "2");
        a.put(new Attributes.Name("Bundle-SymbolicName"), "io.swarmlet.itests.throwing");
        a.put(new Attributes.Name("Bundle-Version"), "1.0.0");
        a.put(new Attributes.Name("Import-Package"),
                "io.swarmlet.spi.placement;version=\"[1.0,2)\",io.swarmlet.api.types;version=\"[1.0,2)\"");
        a.put(new Attributes.Name("Service-Component"), "OSGI-INF/throwing.xml");
        String cls = ThrowingFilter.class.getName().replace('.', '/') + ".class";
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"throwing\" immediate=\"false\""
                + " activate=\"activate\">\n"
                + "  <service><provide interface=\"io.swarmlet.spi.placement.NodeFilter\"/></service>\n"
                + "  <implementation class=\"" + ThrowingFilter.class.getName() + "\"/>\n"
                + "</scr:component>\n";
        try (OutputStream f = Files.newOutputStream(out); JarOutputStream o = new JarOutputStream(f, m);
             InputStream c = ThrowingFilter.class.getClassLoader().getResourceAsStream(cls)) {
            assertNotNull("test class " + cls, c);
            o.putNextEntry(new JarEntry(cls));
            c.transferTo(o);
            o.closeEntry();
            o.putNextEntry(new JarEntry("OSGI-INF/throwing.xml"));
            o.write(xml.getBytes(StandardCharsets.UTF_8));
            o.closeEntry();
        }
        return out;
    }

    private Node self() throws InterruptedException {
        return ControlApiIT.await("this node to be a ready leader", 30, () -> {
            List<Node> nodes = control.listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
            return nodes.size() == 1 && nodes.get(0).getManagerStatus().getLeader()
                    && nodes.get(0).getStatus().getState() == NodeStatus.State.READY ? nodes.get(0) : null;
        });
    }

    private Service create(String name, int replicas) {
        ServiceSpec.Builder b = ServiceSpec.newBuilder();
        b.getAnnotationsBuilder().setName(name);
        b.getTaskBuilder().getContainerBuilder().setImage("swarmlet/busybox:1").addCommand("sleep").addArgs("1000");
        b.getReplicatedBuilder().setReplicas(replicas);
        return control.createService(CreateServiceRequest.newBuilder().setSpec(b).build()).getService();
    }

    private List<Task> tasks(String serviceId) {
        return store.view(tx -> tx.find(Kind.TASK, t -> t.getServiceId().equals(serviceId)));
    }

    /** Waits until the service has {@code n} tasks, all placed on {@code nodeId}; returns their IDs. */
    private Set<String> placed(Service s, int n, String nodeId) throws InterruptedException {
        return ControlApiIT.await(n + " tasks of " + s.getSpec().getAnnotations().getName() + " placed", 30, () -> {
            List<Task> ts = tasks(s.getId());
            return ts.size() == n && ts.stream().allMatch(t -> nodeId.equals(t.getNodeId())
                    && t.getStatus().getState().getNumber() >= TaskState.ASSIGNED.getNumber())
                    ? ts.stream().map(Task::getId).collect(Collectors.toCollection(TreeSet::new)) : null;
        });
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** Whether a component of that bundle revision is active (or satisfied) in SCR. */
    private boolean componentActive(Bundle b) {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(b)) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.ACTIVE || c.state == ComponentConfigurationDTO.SATISFIED) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    public void updatedSchedulerPlacesTasksAndTheStoreKeepsEverything() throws Exception {
        Node self = self();
        Service before = create("before-update", 3);
        Set<String> beforeTasks = placed(before, 3, self.getId());
        long servicesBefore = store.view(tx -> tx.find(Kind.SERVICE, x -> true).size());
        Bundle old = bundle(SCHEDULER);
        assertNotEquals(Version.parseVersion(NEW_VERSION), old.getVersion());

        byte[] jar = Files.readAllBytes(Paths.get(System.getProperty("swarmlet.it.scheduler.updated")));
        ChangeModuleResponse r = modules.change(ChangeModuleRequest.newBuilder().setName("scheduler")
                .setAction(ChangeModuleRequest.Action.UPDATE).setJar(com.google.protobuf.ByteString.copyFrom(jar)).build());
        assertEquals(NEW_VERSION, r.getModule().getVersion());
        assertEquals("ACTIVE", r.getModule().getState());
        Bundle now = bundle(SCHEDULER);
        assertEquals(Version.parseVersion(NEW_VERSION), now.getVersion());
        ControlApiIT.await("the new scheduler revision's component to run", 10, () -> componentActive(now) ? true : null);

        // the new code places the next service's tasks (the old revision is gone: nothing else could)
        Service after = create("after-update", 2);
        placed(after, 2, self.getId());
        // the store kept everything: same services and the first service's very tasks, none replaced
        assertEquals(servicesBefore + 1, (long) store.view(tx -> tx.find(Kind.SERVICE, x -> true).size()));
        assertEquals(beforeTasks, tasks(before.getId()).stream().map(Task::getId).collect(Collectors.toCollection(TreeSet::new)));
    }

    @Test
    public void pluginThrowingInActivateLeavesTheDaemonServing() throws Exception {
        Node self = self();
        Bundle plugin = context.installBundle(Paths.get(System.getProperty("swarmlet.it.throwing.plugin")).toUri().toString());
        try {
            plugin.start(); // a delayed component: its service is registered, activation fails when the scheduler gets it
            assertEquals(Bundle.ACTIVE, plugin.getState());
            // the scheduler asks for the plugin's filter, whose activation throws; placement goes on without it
            Service s = create("beside-a-broken-plugin", 2);
            placed(s, 2, self.getId());
            ComponentDescriptionDTO d = scr.getComponentDescriptionDTOs(plugin).iterator().next();
            assertFalse("the broken component must not be active",
                    scr.getComponentConfigurationDTOs(d).stream().anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE));
            VersionResponse v = control.version(VersionRequest.getDefaultInstance());
            assertEquals(self.getId(), v.getNodeId());
        } finally {
            plugin.uninstall();
        }
        // and without it, still serving and placing
        Service again = create("after-broken-plugin", 1);
        placed(again, 1, self.getId());
    }
}
