package io.swarmlet.spi.executor;

import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Task;

/**
 * Runs tasks on this node (SwarmKit's agent/exec.Executor). Register as an OSGi
 * service with {@link #TYPE} set; the agent picks one by configuration.
 *
 * <p>Implemented by executor plugins (executor-docker, a fake for benchmarks);
 * called by the agent, which owns the task lifecycle.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface Executor {

    /** Service property naming the executor ("docker", "fake"...). */
    String TYPE = "swarmlet.executor.type";

    /** What this node offers: resources, platform, engine. */
    NodeDescription describe() throws ExecutorException;

    /** A controller for one task; cheap, nothing is done until it is called. */
    Controller controller(Task task) throws ExecutorException;
}
