package io.swarmlet.scheduler.internal;

import io.swarmlet.api.store.Kind;
import io.swarmlet.spi.placement.NodeFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Wires a {@link SchedulerComponent} the way SCR does, outside a framework:
 * the core filters are bound with the service ranking their generated DS
 * descriptors (OSGI-INF/*.xml, made by bnd before the tests run) declare.
 */
final class SchedulerHarness {

    private static final Pattern RANKING = Pattern.compile("name=\"service.ranking\" type=\"Integer\" value=\"(-?\\d+)\"");

    static final List<NodeFilter> CORE = List.of(new ReadyFilter(), new AvailabilityFilter(), new RuntimeFilter(),
            new ResourceFilter(),
            new ConstraintFilter(), new PlatformFilter(), new HostPortFilter(), new MaxReplicasFilter());

    private SchedulerHarness() {}

    /** The service ranking the filter's DS descriptor declares. */
    static int ranking(NodeFilter f) {
        String res = "OSGI-INF/" + f.getClass().getName() + ".xml";
        try (InputStream in = SchedulerHarness.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) {
                throw new AssertionError("no DS descriptor " + res + " (build with mvn so that bnd makes it)");
            }
            Matcher m = RANKING.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            if (!m.find()) {
                throw new AssertionError(res + " declares no service.ranking");
            }
            return Integer.parseInt(m.group(1));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Binds the core filters (fresh instances), service IDs 1..8. */
    static void bindCore(SchedulerComponent c) {
        long id = 1;
        for (NodeFilter f : CORE) {
            NodeFilter fresh;
            try {
                fresh = f.getClass().getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            c.addFilter(fresh, Map.of(FilterRegistry.SERVICE_RANKING, ranking(f), FilterRegistry.SERVICE_ID, id++));
        }
    }

    /** Counts tasks in that store that the scheduler has assigned. */
    static long assigned(FakeStore store) {
        return store.view(tx -> tx.find(Kind.TASK, t -> !t.getNodeId().isEmpty()
                && t.getStatus().getState() == io.swarmlet.api.types.TaskState.ASSIGNED).size());
    }
}
