package io.swarmlet.stack.internal;

import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.control.Stacks;
import io.swarmlet.api.types.*;
import io.swarmlet.stack.internal.compose.ComposeException;
import io.swarmlet.stack.internal.compose.ComposeFile;
import io.swarmlet.stack.internal.compose.ComposeLoader;
import io.swarmlet.stack.internal.compose.Project;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Stacks on a manager: deploys compose files as networks, secrets, configs and services through the
 * {@link ControlApi} (the control API delegates its stack calls here), the way Docker's
 * {@code stack deploy}, {@code stack ls} and {@code stack rm} do, with Docker's messages.
 *
 * <p>A deploy is all or nothing up to the first write: the files are loaded, the local files they name
 * must have been sent, every service is mapped and everything it needs is checked against the cluster
 * (external networks, secrets and configs exist, published ports are free) before anything is written.
 * Then, in Docker's order: prune (services the files no longer name), networks, secrets and configs
 * (created, or rotated when a file's content changed), services (created, or updated when their spec
 * changed; an unchanged service is left alone, so its tasks keep running).
 *
 * <p>What a redeploy compares is kept in the objects themselves: each service carries
 * {@value #SPEC_HASH_LABEL} (the hash of the spec the files gave), and a stack's file-based secret the
 * fingerprint of the value it holds ({@value #DIGEST_LABEL} on the secret for its first version, and
 * {@value #DIGEST_LABEL}{@code .<secret>} on each stack service that uses it for later versions, since a
 * secret's labels cannot change after a rotation). Configs are compared with their stored value.
 */
@Component(service = Stacks.class)
public class StacksComponent implements Stacks {

    static final String SPEC_HASH_LABEL = "io.swarmlet.stack.spec-hash";
    static final String DIGEST_LABEL = "io.swarmlet.stack.digest";

    /** The network drivers the control API accepts ("overlay" is Docker's default for stacks). */
    static final Set<String> DRIVERS = Set.of("overlay", "bridge");

    private static final Logger LOG = LogManager.getLogger(StacksComponent.class);

    /** The manager's control API (the controlapi bundle's; it is the only one registered as a service). */
    @Reference
    private ControlApi api;

    private Duration networkRemovalTimeout = Duration.ofSeconds(10);

    public StacksComponent() {
    }

    /** For tests outside OSGi. */
    StacksComponent(ControlApi api, Duration networkRemovalTimeout) {
        this.api = api;
        this.networkRemovalTimeout = networkRemovalTimeout;
    }

    // ------------------------------------------------------------ deploy

    @Override
    public DeployStackResponse deploy(DeployStackRequest request) {
        Namespace ns = Namespace.of(request.getName());
        checkResolveImage(request.getResolveImage());
        Project project;
        try {
            project = ComposeLoader.load(request.getFilesList().stream()
                    .map(f -> new ComposeFile(f.getName(), f.getContent())).toList(), request.getEnvMap());
        } catch (ComposeException e) {
            throw ControlException.invalid(e.getMessage());
        }
        SortedSet<String> missing = new TreeSet<>(localFiles(project));
        missing.removeAll(request.getLocalFilesMap().keySet());
        if (!missing.isEmpty()) {
            return DeployStackResponse.newBuilder().addAllMissingFiles(missing).build();
        }
        Plan plan = plan(ns, project, request);
        Cluster cluster = Cluster.read(api);
        validate(ns, plan, cluster);
        List<String> messages = apply(ns, plan, cluster, request.getPrune());
        LOG.info("stack {} deployed: {}", ns.name(), messages.isEmpty() ? "nothing changed" : String.join("; ", messages));
        return DeployStackResponse.newBuilder().addAllWarnings(project.warnings()).addAllMessages(messages).build();
    }

    /**
     * {@code --resolve-image}: Docker's three values. There is no registry to ask for digests here, so
     * every value deploys the image reference as written; only the check remains.
     */
    static void checkResolveImage(String value) {
        if (!value.isEmpty() && !value.equals("always") && !value.equals("changed") && !value.equals("never")) {
            throw ControlException.invalid("Invalid option " + value + " for flag --resolve-image");
        }
    }

    /** The local files the project reads, as written: env files, and the files of file-based secrets and configs. */
    static Set<String> localFiles(Project project) {
        Set<String> out = new TreeSet<>();
        project.services().values().forEach(s -> out.addAll(s.envFiles()));
        project.secrets().values().stream().filter(o -> !o.external() && o.file() != null).forEach(o -> out.add(o.file()));
        project.configs().values().stream().filter(o -> !o.external() && o.file() != null).forEach(o -> out.add(o.file()));
        return out;
    }

    /** A file-based secret or config of the stack: its cluster name, value and labels. */
    record Payload(String name, byte[] data, Map<String, String> labels) {
    }

    /** What the files ask for, mapped, before the cluster is looked at. Maps are sorted by cluster name. */
    record Plan(Map<String, NetworkSpec> networks, Set<String> externalNetworks, Map<String, Payload> secrets,
            Set<String> externalSecrets, Map<String, Payload> configs, Set<String> externalConfigs,
            Map<String, ServiceSpec> services, Map<String, List<String>> secretsUsed) {
    }

    static Plan plan(Namespace ns, Project project, DeployStackRequest request) {
        List<String> problems = new ArrayList<>();
        Map<String, byte[]> files = new HashMap<>();
        request.getLocalFilesMap().forEach((k, v) -> files.put(k, v.toByteArray()));
        ServiceMapper mapper = new ServiceMapper(ns, project, files::get, request.getEnvMap(), problems);
        Map<String, ServiceSpec> services = new TreeMap<>();
        Map<String, List<String>> secretsUsed = new TreeMap<>();
        Map<String, NetworkSpec> networks = new TreeMap<>();
        Set<String> externalNetworks = new TreeSet<>();
        Set<String> externalSecrets = new TreeSet<>();
        Set<String> externalConfigs = new TreeSet<>();
        for (Project.Service s : new TreeMap<>(project.services()).values()) {
            ServiceSpec spec = mapper.map(s);
            services.put(spec.getAnnotations().getName(), spec);
            Set<String> nets = s.networks().isEmpty() ? Set.of(Namespace.DEFAULT_NETWORK) : s.networks().keySet();
            for (String key : nets) {
                Project.Network n = project.networks().get(key);
                String name = ns.network(key, n);
                if (n != null && n.external()) {
                    externalNetworks.add(name);
                } else {
                    if (n != null && n.driver() != null && !DRIVERS.contains(n.driver()) && !networks.containsKey(name)) {
                        problems.add("networks." + key + ": network driver \"" + n.driver() + "\" is not supported: a stack's"
                                + " network is a bridge network on each node, joined by the routing mesh; use driver: overlay"
                                + " (the default)");
                    }
                    networks.put(name, network(ns, name, n));
                }
            }
            List<String> used = new ArrayList<>();
            for (Project.FileRef r : s.secrets()) {
                Project.FileObject o = project.secrets().get(r.source());
                (o.external() ? externalSecrets : used).add(ns.fileObject(r.source(), o));
            }
            secretsUsed.put(spec.getAnnotations().getName(), used);
            for (Project.FileRef r : s.configs()) {
                Project.FileObject o = project.configs().get(r.source());
                if (o.external()) {
                    externalConfigs.add(ns.fileObject(r.source(), o));
                }
            }
        }
        Map<String, Payload> secrets = payloads(ns, "secret", project.secrets(), files, problems);
        Map<String, Payload> configs = payloads(ns, "config", project.configs(), files, problems);
        Set<String> published = new HashSet<>();
        Map<String, String> publishedBy = new HashMap<>();
        services.forEach((name, spec) -> {
            if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")) {
                problems.add("service name " + name + " is too long: a stack's service names have at most 63 characters"
                        + " (stack name, '_', compose service name)");
            }
            for (PortConfig p : spec.getEndpoint().getPortsList()) {
                if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() != 0) {
                    String key = p.getProtocol() + "/" + p.getPublishedPort();
                    String other = publishedBy.putIfAbsent(key, name);
                    if (other != null && !other.equals(name) && published.add(key)) {
                        problems.add("port '" + p.getPublishedPort() + "' is published by both services " + other + " and "
                                + name + ": publish another port for one of them");
                    }
                }
            }
        });
        if (!problems.isEmpty()) {
            throw ControlException.invalid(String.join("\n", problems));
        }
        return new Plan(networks, externalNetworks, secrets, externalSecrets, configs, externalConfigs, services, secretsUsed);
    }

    private static NetworkSpec network(Namespace ns, String name, Project.Network n) {
        NetworkSpec.Builder b = NetworkSpec.newBuilder();
        Map<String, String> labels = new TreeMap<>(n == null ? Map.of() : n.labels());
        labels.put(NAMESPACE_LABEL, ns.name());
        b.getAnnotationsBuilder().setName(name).putAllLabels(labels);
        if (n != null) {
            if (n.driver() != null || !n.driverOpts().isEmpty()) {
                Driver.Builder d = b.getDriverConfigBuilder().putAllOptions(n.driverOpts());
                if (n.driver() != null) {
                    d.setName(n.driver());
                }
            }
            b.setAttachable(n.attachable()).setInternal(n.internal());
        }
        return b.build();
    }

    private static Map<String, Payload> payloads(Namespace ns, String kind, Map<String, Project.FileObject> objects,
            Map<String, byte[]> files, List<String> problems) {
        Map<String, Payload> out = new TreeMap<>();
        objects.forEach((key, o) -> {
            if (o.external()) {
                return;
            }
            String name = ns.fileObject(key, o);
            byte[] data = files.get(o.file());
            if (data.length == 0 || data.length > ControlApi.MAX_PAYLOAD_BYTES) {
                problems.add(kind + " " + name + ": the file " + o.file() + " has " + data.length + " bytes: a " + kind
                        + " holds 1 to " + ControlApi.MAX_PAYLOAD_BYTES + " bytes");
            }
            Map<String, String> labels = new TreeMap<>(o.labels());
            labels.put(NAMESPACE_LABEL, ns.name());
            out.put(name, new Payload(name, data, labels));
        });
        return out;
    }

    /** The cluster as the deploy found it, by name. */
    record Cluster(Map<String, Service> services, Map<String, Network> networks, Map<String, Secret> secrets,
            Map<String, Config> configs) {

        static Cluster read(ControlApi api) {
            return new Cluster(
                    byName(api.listServices(ListServicesRequest.getDefaultInstance()).getServicesList(), s -> s.getSpec().getAnnotations().getName()),
                    byName(api.listNetworks(ListNetworksRequest.getDefaultInstance()).getNetworksList(), n -> n.getSpec().getAnnotations().getName()),
                    byName(api.listSecrets(ListSecretsRequest.getDefaultInstance()).getSecretsList(), s -> s.getSpec().getAnnotations().getName()),
                    byName(api.listConfigs(ListConfigsRequest.getDefaultInstance()).getConfigsList(), c -> c.getSpec().getAnnotations().getName()));
        }

        private static <T> Map<String, T> byName(List<T> objects, Function<T, String> name) {
            Map<String, T> out = new TreeMap<>();
            objects.forEach(o -> out.put(name.apply(o), o));
            return out;
        }
    }

    /** Everything the plan needs from the cluster; every problem at once, nothing written. */
    static void validate(Namespace ns, Plan plan, Cluster cluster) {
        List<String> problems = new ArrayList<>();
        for (String name : plan.externalNetworks()) {
            if (!cluster.networks().containsKey(name)) {
                problems.add("network \"" + name + "\" is declared as external, but could not be found."
                        + " You need to create a swarm-scoped network before the stack is deployed");
            }
        }
        for (String name : plan.networks().keySet()) {
            Network n = cluster.networks().get(name);
            if (n != null && !ns.name().equals(n.getSpec().getAnnotations().getLabelsMap().get(NAMESPACE_LABEL))) {
                problems.add("network " + name + " already exists and is not part of stack " + ns.name()
                        + ": declare it external in the compose file to use it, or remove it first");
            }
        }
        plan.externalSecrets().stream().filter(s -> !cluster.secrets().containsKey(s))
                .forEach(s -> problems.add("secret not found: " + s));
        plan.externalConfigs().stream().filter(c -> !cluster.configs().containsKey(c))
                .forEach(c -> problems.add("config not found: " + c));
        // ingress ports held by services outside the stack (this stack's own are reused or pruned first)
        Map<String, Service> owners = new HashMap<>();
        for (Service s : cluster.services().values()) {
            if (ns.name().equals(s.getSpec().getAnnotations().getLabelsMap().get(NAMESPACE_LABEL))) {
                continue;
            }
            List<PortConfig> ports = new ArrayList<>(s.getEndpoint().getPortsList());
            ports.addAll(s.getSpec().getEndpoint().getPortsList());
            for (PortConfig p : ports) {
                if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() != 0) {
                    owners.putIfAbsent(p.getProtocol() + "/" + p.getPublishedPort(), s);
                }
            }
        }
        plan.services().forEach((name, spec) -> {
            for (PortConfig p : spec.getEndpoint().getPortsList()) {
                Service owner = owners.get(p.getProtocol() + "/" + p.getPublishedPort());
                if (p.getPublishMode() == PortConfig.PublishMode.INGRESS && p.getPublishedPort() != 0 && owner != null
                        && !owner.getSpec().getAnnotations().getName().equals(name)) {
                    String other = owner.getSpec().getAnnotations().getName();
                    problems.add("port '" + p.getPublishedPort() + "' is already in use by service '" + other + "' ("
                            + owner.getId() + ") as an ingress port: publish another port for " + name
                            + " in the compose file, or free it (swarmlet service update --publish-rm "
                            + p.getPublishedPort() + " " + other + ")");
                }
            }
        });
        if (!problems.isEmpty()) {
            throw ControlException.invalid(String.join("\n", problems));
        }
    }

    private List<String> apply(Namespace ns, Plan plan, Cluster cluster, boolean prune) {
        List<String> messages = new ArrayList<>();
        if (prune) {
            // first, as Docker does: a pruned service's published ports are free for the others
            for (Service s : cluster.services().values()) {
                String name = s.getSpec().getAnnotations().getName();
                if (ns.name().equals(s.getSpec().getAnnotations().getLabelsMap().get(NAMESPACE_LABEL))
                        && !plan.services().containsKey(name)) {
                    step(messages, "Removing service " + name, "failed to remove service " + name,
                            () -> api.removeService(RemoveServiceRequest.newBuilder().setId(s.getId()).build()));
                }
            }
        }
        plan.networks().forEach((name, spec) -> {
            if (!cluster.networks().containsKey(name)) {
                step(messages, "Creating network " + name, "failed to create network " + name,
                        () -> api.createNetwork(CreateNetworkRequest.newBuilder().setSpec(spec).build()));
            }
        });
        Map<String, String> records = secrets(ns, plan, cluster, messages);
        configs(plan, cluster, messages);
        // read again: a rotation moved the services that use the secret or config to its new version
        Map<String, Service> services = Cluster.byName(api.listServices(ListServicesRequest.getDefaultInstance())
                .getServicesList(), s -> s.getSpec().getAnnotations().getName());
        plan.services().forEach((name, mapped) -> {
            ServiceSpec.Builder b = mapped.toBuilder();
            b.getAnnotationsBuilder().putLabels(SPEC_HASH_LABEL, Fingerprints.specHash(mapped));
            for (String secret : plan.secretsUsed().getOrDefault(name, List.of())) {
                b.getAnnotationsBuilder().putLabels(DIGEST_LABEL + "." + secret, records.get(secret));
            }
            ServiceSpec spec = b.build();
            Service current = services.get(name);
            if (current == null) {
                step(messages, "Creating service " + name, "failed to create service " + name,
                        () -> api.createService(CreateServiceRequest.newBuilder().setSpec(spec).build()));
            } else if (!unchanged(current.getSpec(), spec)) {
                step(messages, "Updating service " + name + " (id: " + current.getId() + ")", "failed to update service " + name,
                        () -> api.updateService(UpdateServiceRequest.newBuilder().setId(current.getId())
                                .setVersion(current.getMeta().getVersion()).setSpec(spec).build()));
            }
        });
        return messages;
    }

    /**
     * One write, its message first; a refusal (which validation could not foresee: the cluster changed
     * meanwhile) ends the deploy with what was done so far, as Docker's output would show it, and why.
     */
    private static void step(List<String> messages, String message, String failure, Runnable write) {
        messages.add(message);
        try {
            write.run();
        } catch (ControlException e) {
            throw new ControlException(e.code(), String.join("\n", messages) + "\n" + failure + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether a stored service already is what the files ask for: the same spec hash and bookkeeping
     * labels, and still the same image, mode and replica count (so a {@code service scale} or a
     * {@code service update --image} made by hand is undone by the next deploy, as Docker's would be).
     */
    static boolean unchanged(ServiceSpec stored, ServiceSpec wanted) {
        Map<String, String> have = bookkeeping(stored.getAnnotations().getLabelsMap());
        Map<String, String> want = bookkeeping(wanted.getAnnotations().getLabelsMap());
        return have.equals(want) && stored.getModeCase() == wanted.getModeCase()
                && stored.getReplicated().getReplicas() == wanted.getReplicated().getReplicas()
                && stored.getReplicatedJob().equals(wanted.getReplicatedJob())
                && stored.getTask().getContainer().getImage().equals(wanted.getTask().getContainer().getImage());
    }

    private static Map<String, String> bookkeeping(Map<String, String> labels) {
        return labels.entrySet().stream().filter(e -> e.getKey().equals(SPEC_HASH_LABEL) || e.getKey().startsWith(DIGEST_LABEL))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    /**
     * Creates the stack's file-based secrets that are missing and rotates those whose value changed.
     * A secret's value cannot be read back, so each holds a fingerprint of it (see the class comment);
     * one whose current version no fingerprint describes (rotated by hand, say) is rotated to the file's
     * value if a service of the stack uses it. Returns, per secret, {@code <version>:<fingerprint>} of
     * its current value, for the services that use it.
     */
    private Map<String, String> secrets(Namespace ns, Plan plan, Cluster cluster, List<String> messages) {
        Map<String, String> records = new HashMap<>();
        Set<String> used = new HashSet<>();
        plan.secretsUsed().values().forEach(used::addAll);
        for (Payload p : plan.secrets().values()) {
            Secret current = cluster.secrets().get(p.name());
            if (current == null) {
                String record = "1:" + Fingerprints.secret(p.data());
                SecretSpec.Builder spec = SecretSpec.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(p.data()));
                spec.getAnnotationsBuilder().setName(p.name()).putAllLabels(p.labels()).putLabels(DIGEST_LABEL, record);
                step(messages, "Creating secret " + p.name(), "failed to create secret " + p.name(),
                        () -> api.createSecret(CreateSecretRequest.newBuilder().setSpec(spec).build()));
                records.put(p.name(), record);
                continue;
            }
            long version = current.getVersionsCount() == 0 ? 0 : current.getVersions(current.getVersionsCount() - 1).getVersion();
            List<String> candidates = new ArrayList<>();
            candidates.add(current.getSpec().getAnnotations().getLabelsMap().get(DIGEST_LABEL));
            String key = DIGEST_LABEL + "." + p.name();
            cluster.services().values().stream()
                    .filter(s -> ns.name().equals(s.getSpec().getAnnotations().getLabelsMap().get(NAMESPACE_LABEL)))
                    .forEach(s -> candidates.add(s.getSpec().getAnnotations().getLabelsMap().get(key)));
            boolean known = false;
            String same = null;
            for (String c : candidates) {
                if (c != null && c.startsWith(version + ":")) {
                    known = true;
                    if (Fingerprints.matches(c.substring(c.indexOf(':') + 1), p.data())) {
                        same = c;
                        break;
                    }
                }
            }
            if (same != null || (!known && !used.contains(p.name()))) {
                records.put(p.name(), same != null ? same : "0:unknown");
                continue;
            }
            Secret[] rotated = new Secret[1];
            step(messages, "Updating secret " + p.name(), "failed to update secret " + p.name(),
                    () -> rotated[0] = api.rotateSecret(RotateSecretRequest.newBuilder().setId(current.getId())
                            .setData(com.google.protobuf.ByteString.copyFrom(p.data())).build()).getSecret());
            long now = rotated[0].getVersionsCount() == 0 ? version + 1
                    : rotated[0].getVersions(rotated[0].getVersionsCount() - 1).getVersion();
            records.put(p.name(), now + ":" + Fingerprints.secret(p.data()));
        }
        return records;
    }

    /** Creates the missing configs and rotates those whose stored value differs from the file's. */
    private void configs(Plan plan, Cluster cluster, List<String> messages) {
        for (Payload p : plan.configs().values()) {
            Config current = cluster.configs().get(p.name());
            if (current == null) {
                ConfigSpec.Builder spec = ConfigSpec.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(p.data()));
                spec.getAnnotationsBuilder().setName(p.name()).putAllLabels(p.labels());
                step(messages, "Creating config " + p.name(), "failed to create config " + p.name(),
                        () -> api.createConfig(CreateConfigRequest.newBuilder().setSpec(spec).build()));
                continue;
            }
            byte[] stored = current.getVersionsCount() == 0 ? new byte[0]
                    : current.getVersions(current.getVersionsCount() - 1).getData().toByteArray();
            if (!Arrays.equals(stored, p.data())) {
                step(messages, "Updating config " + p.name(), "failed to update config " + p.name(),
                        () -> api.rotateConfig(RotateConfigRequest.newBuilder().setId(current.getId())
                                .setData(com.google.protobuf.ByteString.copyFrom(p.data())).build()));
            }
        }
    }

    // ------------------------------------------------------------ ls

    /** Docker's {@code stack ls}: the stacks that have services, by name, with their service count. */
    @Override
    public ListStacksResponse list(ListStacksRequest request) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Service s : api.listServices(ListServicesRequest.getDefaultInstance()).getServicesList()) {
            String stack = s.getSpec().getAnnotations().getLabelsMap().get(NAMESPACE_LABEL);
            if (stack != null) {
                counts.merge(stack, 1, Integer::sum);
            }
        }
        ListStacksResponse.Builder b = ListStacksResponse.newBuilder();
        counts.forEach((name, n) -> b.addStacks(StackSummary.newBuilder().setName(name).setServices(n)));
        return b.build();
    }

    // ------------------------------------------------------------ rm

    /**
     * Docker's {@code stack rm}: the stack's services, then its networks, secrets and configs (those
     * carrying its namespace label: external ones do not), each by name. A network the control API still
     * sees in use (tasks going away) is tried again until {@code networkRemovalTimeout}.
     */
    @Override
    public RemoveStackResponse remove(RemoveStackRequest request) {
        String name = request.getName();
        if (name.chars().allMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'')) {
            throw ControlException.invalid("invalid stack name: \"" + name + "\"");
        }
        ListFilters mine = ListFilters.newBuilder().putLabels(NAMESPACE_LABEL, name).build();
        Map<String, String> services = names(api.listServices(ListServicesRequest.newBuilder().setFilters(mine).build())
                .getServicesList(), Service::getId, s -> s.getSpec().getAnnotations().getName());
        Map<String, String> networks = names(api.listNetworks(ListNetworksRequest.newBuilder().setFilters(mine).build())
                .getNetworksList(), Network::getId, n -> n.getSpec().getAnnotations().getName());
        Map<String, String> secrets = names(api.listSecrets(ListSecretsRequest.newBuilder().setFilters(mine).build())
                .getSecretsList(), Secret::getId, s -> s.getSpec().getAnnotations().getName());
        Map<String, String> configs = names(api.listConfigs(ListConfigsRequest.newBuilder().setFilters(mine).build())
                .getConfigsList(), Config::getId, c -> c.getSpec().getAnnotations().getName());
        if (services.isEmpty() && networks.isEmpty() && secrets.isEmpty() && configs.isEmpty()) {
            throw ControlException.notFound("Nothing found in stack: " + name);
        }
        List<String> messages = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        services.forEach((n, id) -> removing(messages, failures, "service", n,
                () -> api.removeService(RemoveServiceRequest.newBuilder().setId(id).build())));
        networks.forEach((n, id) -> removing(messages, failures, "network", n, () -> removeNetwork(id)));
        secrets.forEach((n, id) -> removing(messages, failures, "secret", n,
                () -> api.removeSecret(RemoveSecretRequest.newBuilder().setId(id).build())));
        configs.forEach((n, id) -> removing(messages, failures, "config", n,
                () -> api.removeConfig(RemoveConfigRequest.newBuilder().setId(id).build())));
        if (!failures.isEmpty()) {
            List<String> all = new ArrayList<>(messages);
            all.addAll(failures);
            all.add("Failed to remove some resources from stack: " + name);
            throw new ControlException(ControlException.Code.FAILED_PRECONDITION, String.join("\n", all));
        }
        LOG.info("stack {} removed: {}", name, String.join("; ", messages));
        return RemoveStackResponse.newBuilder().addAllMessages(messages).build();
    }

    private static void removing(List<String> messages, List<String> failures, String kind, String name, Runnable remove) {
        messages.add("Removing " + kind + " " + name);
        try {
            remove.run();
        } catch (ControlException e) {
            if (e.code() != ControlException.Code.NOT_FOUND) {
                failures.add("Failed to remove " + kind + " " + name + ": " + e.getMessage());
            }
        }
    }

    /** Removes a network, trying again while the control API refuses it as still in use. */
    private void removeNetwork(String id) {
        long deadline = System.nanoTime() + networkRemovalTimeout.toNanos();
        while (true) {
            try {
                api.removeNetwork(RemoveNetworkRequest.newBuilder().setId(id).build());
                return;
            } catch (ControlException e) {
                if (e.code() != ControlException.Code.FAILED_PRECONDITION || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ControlException(ControlException.Code.ABORTED, "interrupted while removing network " + id);
            }
        }
    }

    private static <T> Map<String, String> names(List<T> objects, Function<T, String> id, Function<T, String> name) {
        Map<String, String> out = new LinkedHashMap<>();
        objects.stream().sorted(java.util.Comparator.comparing(name)).forEach(o -> out.put(name.apply(o), id.apply(o)));
        return out;
    }
}
