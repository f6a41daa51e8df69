package io.swarmlet.itests.throwing;

import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;

/**
 * A broken placement plugin for {@code PluginPlatformIT}: its DS component
 * throws in activate. Packed into a bundle of its own by the test, with a
 * hand-written component description (no annotations, so the probe bundle
 * that also carries this class never activates it).
 */
public class ThrowingFilter implements NodeFilter {

    public void activate() {
        throw new IllegalStateException("ThrowingFilter refuses to start (on purpose)");
    }

    @Override
    public String name() {
        return "throwing";
    }

    @Override
    public boolean appliesTo(Task task) {
        return true;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        return false;
    }

    @Override
    public String explain(int nodes) {
        return nodes + " node(s) refused by the throwing filter";
    }
}
