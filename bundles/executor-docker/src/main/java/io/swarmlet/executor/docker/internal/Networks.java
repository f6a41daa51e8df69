package io.swarmlet.executor.docker.internal;

import io.swarmlet.api.types.Cidr;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.swarmlet.api.types.IPAMConfig;
import io.swarmlet.api.types.Network;
import io.swarmlet.spi.executor.ExecutorException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A task's cluster networks as local Docker bridge networks (design/networking.md,
 * "Tasks"): made on first use with the network's name, its address range (the
 * lower half of its subnet, which is all the engine may hand out; the upper half
 * holds the manager's virtual IPs and DNS address), gateway, labels and our
 * {@value #NETWORK_ID} label; removed when no container uses them any more.
 * Several swarmlet nodes may share one engine: a network another node made for
 * the same cluster network (same label) is used as it is, and creation races
 * between them end with everyone using the winner's.
 */
final class Networks {

    /** The cluster network a Docker network stands for; only networks with it are ever removed. */
    static final String NETWORK_ID = "io.swarmlet.network.id";

    private static final Logger LOG = LogManager.getLogger(Networks.class);

    /** Tries at making a network before giving up (each loses only to a concurrent creation). */
    private static final int ATTEMPTS = 5;
    private static final long RETRY_MS = 200;

    private final DockerEngine engine;

    Networks(DockerEngine engine) {
        this.engine = engine;
    }

    /**
     * Makes sure the engine has {@code n}'s Docker network.
     *
     * @return the Docker network's ID
     * @throws ExecutorException fatal if a network of that name is not this cluster network, or its range
     *         overlaps another network of the engine; else non-fatal
     */
    String ensure(Network n) throws ExecutorException {
        String name = n.getSpec().getAnnotations().getName();
        if (name.isEmpty() || n.getId().isEmpty()) {
            throw new ExecutorException("network " + (name.isEmpty() ? n.getId() : name) + " has no "
                    + (name.isEmpty() ? "name" : "ID"), true);
        }
        String overlap = null;
        for (int attempt = 1; ; attempt++) {
            Optional<com.github.dockerjava.api.model.Network> existing = find(name);
            if (existing.isPresent()) {
                return ours(existing.get(), n);
            }
            try {
                String id = create(n);
                if (id != null) {
                    LOG.info("created network {} ({}) for cluster network {}, range {}", name, shortId(id), n.getId(),
                            range(n));
                    return id;
                }
                // made by another node meanwhile: look again
                LOG.debug("network {}: created concurrently", name);
            } catch (Overlap e) {
                // another node may be creating the same network right now, with the same range
                overlap = e.getMessage();
            }
            if (attempt >= ATTEMPTS) {
                if (overlap != null) {
                    throw new ExecutorException(overlapMessage(n, overlap), true);
                }
                throw new ExecutorException("create network " + name + ": it neither exists nor can be created", false);
            }
            pause();
        }
    }

    /** The Docker network named exactly {@code name} (the engine's name filter matches substrings). */
    Optional<com.github.dockerjava.api.model.Network> find(String name) throws ExecutorException {
        List<com.github.dockerjava.api.model.Network> found = engine.call("list networks",
                d -> d.listNetworksCmd().withNameFilter(name).exec());
        return found.stream().filter(x -> name.equals(x.getName())).findFirst();
    }

    private static String ours(com.github.dockerjava.api.model.Network existing, Network n) throws ExecutorException {
        String label = existing.getLabels() == null ? null : existing.getLabels().get(NETWORK_ID);
        String name = n.getSpec().getAnnotations().getName();
        if (!n.getId().equals(label)) {
            throw new ExecutorException("network " + name + " already exists on this engine and is not the cluster's"
                    + " network " + n.getId() + ": remove it (docker network rm " + name + ")", true);
        }
        return existing.getId();
    }

    /**
     * The request: the new network's ID, or null if one of that name appeared
     * meanwhile; an overlapping range comes out as {@link Overlap}.
     */
    private String create(Network n) throws ExecutorException {
        String name = n.getSpec().getAnnotations().getName();
        Map<String, String> labels = new LinkedHashMap<>(n.getSpec().getAnnotations().getLabelsMap());
        labels.put(NETWORK_ID, n.getId());
        IPAMConfig ipam = n.getIpam().getConfigsCount() > 0 ? n.getIpam().getConfigs(0) : IPAMConfig.getDefaultInstance();
        String range = range(n);
        if (range.isEmpty()) {
            throw new ExecutorException("network " + name + " has no address range: the managers did not allocate"
                    + " one", true);
        }
        com.github.dockerjava.api.model.Network.Ipam.Config config =
                new com.github.dockerjava.api.model.Network.Ipam.Config().withSubnet(range);
        if (!ipam.getGateway().isEmpty()) {
            config.withGateway(ipam.getGateway());
        }
        String what = "create network " + name;
        return engine.call(what, d -> {
            try {
                return d.createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true)
                        .withInternal(n.getSpec().getInternal()).withLabels(labels)
                        .withIpam(new com.github.dockerjava.api.model.Network.Ipam().withConfig(config))
                        .exec().getId();
            } catch (ConflictException e) {
                return null;
            } catch (DockerException e) {
                String message = DockerErrors.engineMessage(e);
                if (message.toLowerCase(java.util.Locale.ROOT).contains("overlaps")) {
                    throw new Overlap(message);
                }
                throw new ExecutorException(what + ": " + message, e.getHttpStatus() == 400, e);
            }
        });
    }

    /** The addresses the engine hands out: the range (the lower half), else the whole subnet. */
    static String range(Network n) {
        if (n.getIpam().getConfigsCount() == 0) {
            return "";
        }
        IPAMConfig c = n.getIpam().getConfigs(0);
        return c.getRange().isEmpty() ? c.getSubnet() : c.getRange();
    }

    /** "...: its range 10.0.1.0/25 overlaps network foo (10.0.0.0/16) on this engine: remove that network ...". */
    private String overlapMessage(Network n, String engineMessage) {
        String name = n.getSpec().getAnnotations().getName();
        String range = range(n);
        try {
            for (com.github.dockerjava.api.model.Network other : engine.call("list networks",
                    d -> d.listNetworksCmd().exec())) {
                if (other.getIpam() == null || other.getIpam().getConfig() == null) {
                    continue;
                }
                for (com.github.dockerjava.api.model.Network.Ipam.Config c : other.getIpam().getConfig()) {
                    if (c.getSubnet() != null && Cidr.overlap(range, c.getSubnet())) {
                        return "create network " + name + ": its range " + range + " overlaps network " + other.getName()
                                + " (" + c.getSubnet() + ") on this engine: remove that network (docker network rm "
                                + other.getName() + ") or give the cluster network another --subnet";
                    }
                }
            }
        } catch (ExecutorException | RuntimeException e) {
            LOG.debug("network {}: cannot list the engine's networks to name the overlapping one", name, e);
        }
        return "create network " + name + ": its range " + range + " overlaps a network on this engine ("
                + engineMessage + ")";
    }

    /**
     * Removes each of {@code names} that carries our label once no container
     * (in any state) is attached to it. Never fails: a network still in use
     * (the engine refuses while an endpoint remains, or another node's
     * container has just joined it) or gone already is left as it is.
     */
    void cleanup(Collection<String> names) {
        for (String name : names) {
            try {
                removeIfUnused(name);
            } catch (ExecutorException | RuntimeException e) {
                LOG.info("network {}: not removed ({})", name, e.getMessage());
            }
        }
    }

    private void removeIfUnused(String name) throws ExecutorException {
        Optional<com.github.dockerjava.api.model.Network> n = engine.call("inspect network " + name, d -> {
            try {
                return Optional.of(d.inspectNetworkCmd().withNetworkId(name).exec());
            } catch (NotFoundException e) {
                return Optional.empty();
            }
        });
        if (n.isEmpty() || !name.equals(n.get().getName())) {
            return; // gone (an ID prefix that happens to match is not it either)
        }
        String clusterId = n.get().getLabels() == null ? null : n.get().getLabels().get(NETWORK_ID);
        if (clusterId == null) {
            return; // not ours: never removed
        }
        if (n.get().getContainers() != null && !n.get().getContainers().isEmpty()) {
            LOG.debug("network {}: {} container(s) still attached", name, n.get().getContainers().size());
            return;
        }
        // a created or stopped container has no endpoint yet, but would fail to start without its network
        List<Container> users = engine.call("list containers of network " + name, d -> d.listContainersCmd()
                .withShowAll(true).withNetworkFilter(List.of(name)).exec());
        if (!users.isEmpty()) {
            LOG.debug("network {}: {} container(s) still use it", name, users.size());
            return;
        }
        String id = n.get().getId();
        boolean removed = engine.call("remove network " + name, d -> {
            try {
                d.removeNetworkCmd(id).exec();
                return true;
            } catch (NotFoundException e) {
                LOG.debug("network {}: removed already", name);
            } catch (DockerException e) {
                String m = DockerErrors.engineMessage(e);
                if (!m.contains("active endpoints")) {
                    throw e;
                }
                LOG.debug("network {}: in use again ({})", name, m);
            }
            return false;
        });
        if (removed) {
            LOG.info("removed network {} ({}) of cluster network {}: no container uses it", name, shortId(id), clusterId);
        }
    }

    private static void pause() throws ExecutorException {
        try {
            Thread.sleep(RETRY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExecutorException("interrupted while creating a network", false);
        }
    }

    private static String shortId(String id) {
        return id == null ? "" : id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** The engine refused a network because its range overlaps another's. */
    private static final class Overlap extends ExecutorException {

        private static final long serialVersionUID = 1L;

        Overlap(String message) {
            super(message, true);
        }
    }
}
