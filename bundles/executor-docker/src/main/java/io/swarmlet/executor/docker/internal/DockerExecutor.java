package io.swarmlet.executor.docker.internal;

import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.swarmlet.api.node.LocalNode;
import io.swarmlet.api.types.EngineDescription;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.Resources;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.executor.Controller;
import io.swarmlet.spi.executor.Executor;
import io.swarmlet.spi.executor.ExecutorException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Runs tasks as containers of the local Docker Engine (SwarmKit's
 * swarmd/dockerexec). Registered as the {@code docker} {@link Executor}; the
 * agent picks it by that type and calls it for every task assigned to this
 * node. Containers are found again by their labels, so the tasks of a
 * restarted daemon are adopted, not duplicated.
 */
@Component(service = Executor.class, property = Executor.TYPE + "=docker", configurationPid = DockerExecutor.PID)
@Designate(ocd = DockerExecutor.Config.class)
public final class DockerExecutor implements Executor {

    static final String PID = "io.swarmlet.executor.docker";

    private static final Logger LOG = LogManager.getLogger(DockerExecutor.class);

    @ObjectClassDefinition(name = "Swarmlet Docker executor",
            description = "Runs tasks as containers of a Docker Engine.")
    public @interface Config {

        @AttributeDefinition(description = "The Docker Engine's address: unix:///path/to.sock or tcp://host:port"
                + " (plain, without TLS)")
        String dockerHost() default "unix:///var/run/docker.sock";

        @AttributeDefinition(description = "Milliseconds a pull may go without any answer from a registry before"
                + " the image is declared unavailable")
        long pullStartTimeoutMs() default 5_000;

        @AttributeDefinition(description = "Milliseconds a pull may take in all")
        long pullTimeoutMs() default 600_000;

        @AttributeDefinition(description = "Milliseconds a request the engine answers at once may take")
        long requestTimeoutMs() default 60_000;
    }

    @Reference
    private LocalNode node;

    private volatile DockerEngine engine;
    private volatile Images images;
    private volatile Networks networks;
    private volatile String nodeId;

    public DockerExecutor() {}

    /** For tests: an executor on {@code engine} for node {@code nodeId}. */
    DockerExecutor(DockerEngine engine, String nodeId) {
        start(engine, nodeId);
    }

    @Activate
    void activate(Config config) {
        DockerEngine.Settings settings = new DockerEngine.Settings(config.dockerHost(),
                Duration.ofSeconds(5), Duration.ofMillis(config.requestTimeoutMs()),
                Duration.ofMillis(config.pullStartTimeoutMs()), Duration.ofMillis(config.pullTimeoutMs()));
        start(new DockerEngine(settings), node.nodeId());
        LOG.info("docker executor for node {} on {}", nodeId, settings.host());
    }

    private void start(DockerEngine e, String id) {
        this.engine = e;
        this.images = new Images(e);
        this.networks = new Networks(e);
        this.nodeId = id;
    }

    @Deactivate
    void deactivate() {
        DockerEngine e = engine;
        if (e != null) {
            e.close();
        }
    }

    @Override
    public NodeDescription describe() throws ExecutorException {
        Info info = engine.call("docker info", c -> c.infoCmd().exec());
        String version = info.getServerVersion();
        if (version == null || version.isEmpty()) {
            version = engine.call("docker version", c -> c.versionCmd().exec()).getVersion();
        }
        EngineDescription.Builder eng = EngineDescription.newBuilder().setEngineVersion(nullToEmpty(version));
        if (info.getLabels() != null) {
            for (String l : info.getLabels()) {
                int eq = l.indexOf('=');
                eng.putLabels(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
            }
        }
        long cpus = info.getNCPU() == null ? 0 : info.getNCPU();
        return NodeDescription.newBuilder()
                .setHostname(nullToEmpty(info.getName()))
                .setPlatform(Platform.newBuilder()
                        .setArchitecture(nullToEmpty(info.getArchitecture()))
                        .setOs(nullToEmpty(info.getOsType())))
                .setResources(Resources.newBuilder()
                        .setNanoCpus(cpus * 1_000_000_000L)
                        .setMemoryBytes(info.getMemTotal() == null ? 0 : info.getMemTotal()))
                .setEngine(eng)
                .build();
    }

    @Override
    public Controller controller(Task task) throws ExecutorException {
        return new DockerController(engine, images, networks, new TaskContainer(task, nodeId));
    }

    @Override
    public Set<String> taskIds() throws ExecutorException {
        Set<String> ids = new TreeSet<>();
        for (Container c : ours(null)) {
            String id = c.getLabels() == null ? null : c.getLabels().get(TaskContainer.TASK_ID);
            if (id != null && !id.isEmpty()) {
                ids.add(id);
            }
        }
        return ids;
    }

    @Override
    public void removeTask(String taskId) throws ExecutorException {
        for (Container c : ours(taskId)) {
            var on = c.getNetworkSettings() == null ? null : c.getNetworkSettings().getNetworks();
            List<String> attached = on == null ? List.of() : new ArrayList<>(on.keySet());
            engine.stream("remove container " + name(c), d -> {
                try {
                    d.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                } catch (NotFoundException | ConflictException e) {
                    // gone already, or being removed
                }
                return null;
            });
            LOG.info("task {}: removed container {}", taskId, name(c));
            networks.cleanup(attached);
        }
    }

    /** This node's containers (all states), or only those of {@code taskId}. */
    private List<Container> ours(String taskId) throws ExecutorException {
        List<String> labels = taskId == null
                ? List.of(TaskContainer.NODE_ID + "=" + nodeId, TaskContainer.TASK_ID)
                : List.of(TaskContainer.NODE_ID + "=" + nodeId, TaskContainer.TASK_ID + "=" + taskId);
        return engine.call("list containers", c -> c.listContainersCmd().withShowAll(true)
                .withFilter("label", labels).exec());
    }

    private static String name(Container c) {
        String[] names = c.getNames();
        return names == null || names.length == 0 ? c.getId() : names[0].replaceFirst("^/", "");
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
