package io.swarmlet.spi.executor;

import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Task;
import java.util.Set;

/**
 * Runs tasks on this node (SwarmKit's agent/exec.Executor). Register as an OSGi
 * service with {@link #TYPE} set; the agent picks one by configuration.
 *
 * <p>Implemented by executor plugins (executor-docker, a fake for benchmarks);
 * called by the agent, which owns the task lifecycle. Optional extras, such as
 * {@link LogSource}, are separate interfaces the controller may also implement.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface Executor {

    /** Service property naming the executor ("docker", "fake"...). */
    String TYPE = "swarmlet.executor.type";

    /**
     * Service property: the task runtime this executor runs ({@code TaskSpec.runtime},
     * {@code --runtime}). Absent means {@link #CONTAINER}. The agent runs each task
     * with the executor of its runtime and the node advertises every runtime it has
     * ({@code NodeDescription.runtimes}), which the scheduler filters on.
     *
     * @since 1.2
     */
    String RUNTIME = "swarmlet.executor.runtime";

    /** The default runtime: containers (executor-docker). @since 1.2 */
    String CONTAINER = "container";

    /** What this node offers: resources, platform, engine (version in engine.engine_version). */
    NodeDescription describe() throws ExecutorException;

    /** A controller for one task; cheap, nothing is done until it is called. */
    Controller controller(Task task) throws ExecutorException;

    /**
     * IDs of the tasks that have a runtime object (running or not) made by this
     * executor on this node, so the agent can adopt them or remove those whose
     * task is gone.
     */
    Set<String> taskIds() throws ExecutorException;

    /** Removes the runtime object of a task the agent no longer knows. */
    void removeTask(String taskId) throws ExecutorException;
}
