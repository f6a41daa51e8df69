package io.swarmlet.scheduler.internal;

import io.swarmlet.api.types.Platform;
import io.swarmlet.api.types.Task;
import io.swarmlet.spi.placement.NodeFilter;
import io.swarmlet.spi.placement.NodeInfo;
import java.util.Locale;
import org.osgi.service.component.annotations.Component;

/**
 * The node's platform must be one the image runs on
 * ({@code task.spec.placement.platforms}, from the image manifest). An image
 * with no platform information puts no restriction: the filter stands aside.
 * x86_64 counts as amd64 and aarch64 as arm64; an empty OS or architecture
 * on the image side matches any.
 */
@Component(service = NodeFilter.class, property = "service.ranking:Integer=400")
public final class PlatformFilter implements NodeFilter {

    @Override
    public String name() {
        return CoreFilters.PLATFORM;
    }

    @Override
    public boolean appliesTo(Task task) {
        return task.getSpec().getPlacement().getPlatformsCount() > 0;
    }

    @Override
    public boolean accepts(Task task, NodeInfo node) {
        if (!node.node().getDescription().hasPlatform()) {
            return false;
        }
        Platform have = node.node().getDescription().getPlatform();
        String os = have.getOs().toLowerCase(Locale.ROOT);
        String arch = arch(have.getArchitecture());
        for (Platform p : task.getSpec().getPlacement().getPlatformsList()) {
            String wantArch = arch(p.getArchitecture());
            String wantOs = p.getOs().toLowerCase(Locale.ROOT);
            if ((wantArch.isEmpty() || wantArch.equals(arch)) && (wantOs.isEmpty() || wantOs.equals(os))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String explain(int nodes) {
        return "unsupported platform on " + (nodes == 1 ? "1 node" : nodes + " nodes");
    }

    static String arch(String a) {
        String l = a.toLowerCase(Locale.ROOT);
        switch (l) {
            case "x86_64": return "amd64";
            case "aarch64": return "arm64";
            default: return l;
        }
    }
}
