package io.swarmlet.stack.internal.compose;

import io.swarmlet.api.types.ShellWords;
import io.swarmlet.stack.internal.compose.ComposeException.Problem;
import io.swarmlet.stack.internal.compose.Project.Deploy;
import io.swarmlet.stack.internal.compose.Project.FileObject;
import io.swarmlet.stack.internal.compose.Project.FileRef;
import io.swarmlet.stack.internal.compose.Project.Healthcheck;
import io.swarmlet.stack.internal.compose.Project.Limits;
import io.swarmlet.stack.internal.compose.Project.Mount;
import io.swarmlet.stack.internal.compose.Project.Network;
import io.swarmlet.stack.internal.compose.Project.NetworkAttachment;
import io.swarmlet.stack.internal.compose.Project.Placement;
import io.swarmlet.stack.internal.compose.Project.Port;
import io.swarmlet.stack.internal.compose.Project.Resources;
import io.swarmlet.stack.internal.compose.Project.RestartPolicy;
import io.swarmlet.stack.internal.compose.Project.Service;
import io.swarmlet.stack.internal.compose.Project.UpdateConfig;
import io.swarmlet.stack.internal.compose.Project.Volume;
import io.swarmlet.stack.internal.compose.YNode.YMap;
import io.swarmlet.stack.internal.compose.YNode.YScalar;
import io.swarmlet.stack.internal.compose.YNode.YSeq;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Loads compose files into a {@link Project}, all before anything is deployed: each file is read (anchors,
 * aliases, merge keys), interpolated from {@code env}, validated against the bundle's schema and turned into
 * long syntax; the files are then merged (later wins) and mapped. Every problem names its file and line; all
 * the schema problems of the files are reported at once.
 */
public final class ComposeLoader {

    /** Service keys that Swarmlet reads; every other documented key is reported as unsupported. */
    static final Set<String> HONOURED = Set.of("image", "command", "entrypoint", "environment", "env_file", "labels",
            "ports", "deploy", "healthcheck", "secrets", "configs", "volumes", "networks", "user", "working_dir",
            "hostname", "extra_hosts", "init", "stop_grace_period", "stop_signal", "expose");

    /** Docker's "Ignoring deprecated options" texts. */
    static final Map<String, String> DEPRECATED = Map.of(
            "container_name", "Setting the container name is not supported.");

    private ComposeLoader() {
    }

    public static Project load(List<ComposeFile> files, Map<String, String> env) {
        if (files.isEmpty()) {
            throw new ComposeException(List.of(new Problem("compose", 0, "no compose file given")));
        }
        List<Problem> problems = new ArrayList<>();
        List<YMap> normalized = new ArrayList<>();
        Set<String> unsupported = new TreeSet<>();
        Map<String, String> deprecated = new TreeMap<>();
        Set<String> unset = new TreeSet<>();
        for (ComposeFile file : files) {
            try {
                YNode root = YamlReader.read(file);
                if (!(root instanceof YMap rootMap)) {
                    throw new ComposeException(root.loc(), "Top-level object must be a mapping");
                }
                YMap withoutExtensions = new YMap(rootMap.loc());
                rootMap.entries().forEach((k, e) -> {
                    if (!k.startsWith("x-")) {
                        withoutExtensions.entries().put(k, e);
                    }
                });
                Interpolator interpolator = new Interpolator(env);
                YMap interpolated = (YMap) interpolator.apply(withoutExtensions, "");
                unset.addAll(interpolator.unsetVariables());
                checkVersion(interpolated);
                List<Problem> invalid = SchemaValidator.validate(interpolated);
                if (!invalid.isEmpty()) {
                    problems.addAll(invalid);
                    continue;
                }
                if (interpolated.get("services") instanceof YMap services) {
                    services.entries().values().forEach(s -> {
                        if (s.value() instanceof YMap svc) {
                            for (String key : svc.entries().keySet()) {
                                if (DEPRECATED.containsKey(key)) {
                                    deprecated.put(key, DEPRECATED.get(key));
                                } else if (!HONOURED.contains(key) && !key.startsWith("x-")) {
                                    unsupported.add(key);
                                }
                            }
                        }
                    });
                }
                normalized.add(new Normalizer(env).file(interpolated));
            } catch (ComposeException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ComposeException(problems);
        }
        YMap merged = normalized.get(0);
        for (int i = 1; i < normalized.size(); i++) {
            merged = Merger.merge(merged, normalized.get(i));
        }
        List<String> warnings = new ArrayList<>();
        unset.forEach(v -> warnings.add("The \"" + v + "\" variable is not set. Defaulting to a blank string."));
        if (!unsupported.isEmpty()) {
            warnings.add("Ignoring unsupported options: " + String.join(", ", unsupported));
        }
        if (!deprecated.isEmpty()) {
            StringBuilder b = new StringBuilder("Ignoring deprecated options:\n");
            deprecated.forEach((k, v) -> b.append('\n').append(k).append(": ").append(v));
            warnings.add(b.toString());
        }
        return new Mapper(merged, files.stream().map(ComposeFile::name).toList()).project(warnings);
    }

    private static void checkVersion(YMap root) {
        if (root.get("version") instanceof YScalar v && !v.isNull()) {
            String version = v.text();
            if (!version.equals("3") && !version.startsWith("3.")) {
                throw new ComposeException(root.keyLoc("version"), "unsupported Compose file version: " + version
                        + " (stacks read the Compose Specification: versionless files and version 3.x)");
            }
        }
    }

    /** Maps the merged, normalized tree to the model, collecting every problem. */
    private static final class Mapper {
        private final YMap root;
        private final List<String> fileOrder;
        private final List<Problem> problems = new ArrayList<>();

        Mapper(YMap root, List<String> fileOrder) {
            this.root = root;
            this.fileOrder = fileOrder;
        }

        Project project(List<String> warnings) {
            Map<String, Network> networks = section("networks", this::network);
            Map<String, Volume> volumes = section("volumes", this::volume);
            Map<String, FileObject> secrets = section("secrets", (d, p) -> fileObject(d, p, "secret"));
            Map<String, FileObject> configs = section("configs", (d, p) -> fileObject(d, p, "config"));
            Map<String, Service> services = new LinkedHashMap<>();
            if (root.get("services") instanceof YMap s) {
                s.entries().forEach((name, e) -> services.put(name,
                        service(name, (YMap) e.value(), e.keyLoc(), networks, volumes, secrets, configs)));
            }
            if (!problems.isEmpty()) {
                problems.sort(Comparator.comparingInt((Problem p) -> fileOrder.indexOf(p.file())).thenComparingInt(Problem::line));
                throw new ComposeException(problems);
            }
            return new Project(services, networks, volumes, secrets, configs, warnings);
        }

        private <T> Map<String, T> section(String name, java.util.function.BiFunction<YMap, String, T> f) {
            Map<String, T> out = new LinkedHashMap<>();
            if (root.get(name) instanceof YMap s) {
                s.entries().forEach((k, e) -> out.put(k, f.apply((YMap) e.value(), name + "." + k)));
            }
            return out;
        }

        private void problem(Loc at, String message) {
            problems.add(new Problem(at.file(), at.line(), message));
        }

        private Network network(YMap d, String path) {
            return new Network(str(d, "name"), str(d, "driver"), map(d, "driver_opts"), bool(d, "external"),
                    bool(d, "internal"), bool(d, "attachable"), map(d, "labels"));
        }

        private Volume volume(YMap d, String path) {
            return new Volume(str(d, "name"), str(d, "driver"), map(d, "driver_opts"), bool(d, "external"), map(d, "labels"));
        }

        private FileObject fileObject(YMap d, String path, String kind) {
            boolean external = bool(d, "external");
            String file = str(d, "file");
            String name = path.substring(path.indexOf('.') + 1);
            if (external && file != null) {
                problem(d.keyLoc("file"), kind + " \"" + name + "\": conflicting parameters \"external\" and \"file\" specified");
            } else if (!external && file == null) {
                String other = d.get("content") != null ? "content" : d.get("environment") != null ? "environment" : null;
                problem(other != null ? d.keyLoc(other) : d.loc(), path + (other != null
                        ? ": \"" + other + "\" is not supported by stacks; use file or external"
                        : " must set file or external"));
            }
            return new FileObject(str(d, "name"), file, external, map(d, "labels"));
        }

        private Service service(String name, YMap s, Loc at, Map<String, Network> networks, Map<String, Volume> volumes,
                Map<String, FileObject> secrets, Map<String, FileObject> configs) {
            String path = "services." + name;
            String image = str(s, "image");
            if (image == null || image.isBlank()) {
                problem(at, path + ".image is required");
            }
            Map<String, NetworkAttachment> nets = new LinkedHashMap<>();
            if (s.get("networks") instanceof YMap n) {
                n.entries().forEach((net, e) -> {
                    if (!net.equals("default") && !networks.containsKey(net)) {
                        problem(e.keyLoc(), path + ".networks: service \"" + name + "\" refers to undefined network " + net);
                    }
                    List<String> aliases = e.value() instanceof YMap a ? strings(a.get("aliases")) : List.of();
                    nets.put(net, new NetworkAttachment(aliases));
                });
            }
            List<Mount> mounts = new ArrayList<>();
            if (s.get("volumes") instanceof YSeq v) {
                for (YNode item : v.items()) {
                    YMap m = (YMap) item;
                    String type = str(m, "type");
                    String source = str(m, "source");
                    if (type.equals("volume") && source != null && !volumes.containsKey(source)) {
                        problem(m.loc(), path + ".volumes: service \"" + name + "\" refers to undefined volume " + source);
                    }
                    mounts.add(new Mount(type, source, str(m, "target"), bool(m, "read_only")));
                }
            }
            List<FileRef> secretRefs = fileRefs(s, "secrets", path, name, secrets, src -> src);
            List<FileRef> configRefs = fileRefs(s, "configs", path, name, configs, src -> "/" + src);
            return new Service(name, image, command(s, "command"), command(s, "entrypoint"), map(s, "environment"),
                    strings(s.get("env_file")), map(s, "labels"), ports(s), expose(s), deploy(s, path), healthcheck(s, path),
                    secretRefs, configRefs, mounts, nets, str(s, "user"), str(s, "working_dir"), str(s, "hostname"),
                    strings(s.get("extra_hosts")), s.get("init") == null ? null : bool(s, "init"),
                    duration(s, "stop_grace_period", path), str(s, "stop_signal"));
        }

        private List<FileRef> fileRefs(YMap s, String key, String path, String service, Map<String, ?> defined,
                Function<String, String> defaultTarget) {
            List<FileRef> out = new ArrayList<>();
            if (s.get(key) instanceof YSeq seq) {
                for (YNode item : seq.items()) {
                    YMap m = (YMap) item;
                    String source = str(m, "source");
                    if (!defined.containsKey(source)) {
                        problem(m.loc(), path + "." + key + ": service \"" + service + "\" refers to undefined "
                                + key.substring(0, key.length() - 1) + " " + source);
                    }
                    String target = str(m, "target");
                    Integer mode = null;
                    if (m.get("mode") instanceof YScalar ms && !ms.isNull()) {
                        try {
                            mode = ms.value() instanceof Long l ? l.intValue() : Integer.parseInt(ms.text(), 8);
                        } catch (NumberFormatException e) {
                            problem(m.keyLoc("mode"), path + "." + key + ".mode must be an octal file mode, not \"" + ms.text() + "\"");
                        }
                    }
                    out.add(new FileRef(source, target == null ? defaultTarget.apply(source) : target,
                            str(m, "uid"), str(m, "gid"), mode));
                }
            }
            return out;
        }

        private List<Port> ports(YMap s) {
            List<Port> out = new ArrayList<>();
            if (s.get("ports") instanceof YSeq seq) {
                for (YNode item : seq.items()) {
                    YMap m = (YMap) item;
                    Long published = m.get("published") instanceof YScalar p && p.value() instanceof Long l ? l : null;
                    out.add(new Port(((Long) ((YScalar) m.get("target")).value()).intValue(),
                            published == null ? null : published.intValue(),
                            str(m, "protocol") == null ? "tcp" : str(m, "protocol"),
                            str(m, "mode") == null ? "ingress" : str(m, "mode"), str(m, "host_ip")));
                }
            }
            return out;
        }

        /**
         * The {@code expose}d ports, each target and protocol once: reachable at the service's virtual IPs
         * only (Docker ignores {@code expose} in stacks; Swarmlet maps it to INTERNAL ports).
         */
        private List<Port> expose(YMap s) {
            Map<String, Port> out = new LinkedHashMap<>();
            if (s.get("expose") instanceof YSeq seq) {
                for (YNode item : seq.items()) {
                    YMap m = (YMap) item;
                    int target = ((Long) ((YScalar) m.get("target")).value()).intValue();
                    String protocol = str(m, "protocol");
                    out.putIfAbsent(target + "/" + protocol, new Port(target, null, protocol, "internal", null));
                }
            }
            return List.copyOf(out.values());
        }

        private Deploy deploy(YMap s, String path) {
            if (!(s.get("deploy") instanceof YMap d)) {
                return null;
            }
            String p = path + ".deploy";
            Placement placement = null;
            if (d.get("placement") instanceof YMap pl) {
                List<String> prefs = new ArrayList<>();
                if (pl.get("preferences") instanceof YSeq ps) {
                    ps.items().forEach(i -> prefs.add(str((YMap) i, "spread")));
                }
                placement = new Placement(strings(pl.get("constraints")), prefs, integer(pl, "max_replicas_per_node"));
            }
            Resources resources = null;
            if (d.get("resources") instanceof YMap r) {
                resources = new Resources(limits(r, "limits", p + ".resources"), limits(r, "reservations", p + ".resources"));
            }
            RestartPolicy restart = null;
            if (d.get("restart_policy") instanceof YMap r) {
                String rp = p + ".restart_policy";
                restart = new RestartPolicy(str(r, "condition"), duration(r, "delay", rp), integer(r, "max_attempts"),
                        duration(r, "window", rp));
            }
            return new Deploy(str(d, "mode"), integer(d, "replicas"), placement, resources, restart,
                    update(d, "update_config", p), update(d, "rollback_config", p), str(d, "endpoint_mode"), map(d, "labels"));
        }

        private UpdateConfig update(YMap d, String key, String path) {
            if (!(d.get(key) instanceof YMap u)) {
                return null;
            }
            String p = path + "." + key;
            Double ratio = u.get("max_failure_ratio") instanceof YScalar r && r.value() instanceof Number n ? n.doubleValue() : null;
            return new UpdateConfig(integer(u, "parallelism"), duration(u, "delay", p), str(u, "failure_action"),
                    duration(u, "monitor", p), ratio, str(u, "order"));
        }

        private Limits limits(YMap r, String key, String path) {
            if (!(r.get(key) instanceof YMap l)) {
                return null;
            }
            String p = path + "." + key;
            Long cpus = null;
            if (l.get("cpus") instanceof YScalar c && !c.isNull()) {
                cpus = Units.nanoCpus(c.value());
                if (cpus == null) {
                    problem(l.keyLoc("cpus"), p + ".cpus must be a number of CPUs, like '0.5', not \"" + c.text() + "\"");
                }
            }
            Long memory = null;
            if (l.get("memory") instanceof YScalar m && !m.isNull()) {
                memory = Units.bytes(m.value());
                if (memory == null) {
                    problem(l.keyLoc("memory"), p + ".memory must be a size, like 300M or 1.5G, not \"" + m.text() + "\"");
                }
            }
            Long pids = l.get("pids") instanceof YScalar ps && ps.value() instanceof Long n ? n : null;
            return new Limits(cpus, memory, pids);
        }

        private Healthcheck healthcheck(YMap s, String path) {
            if (!(s.get("healthcheck") instanceof YMap h)) {
                return null;
            }
            String p = path + ".healthcheck";
            List<String> test = null;
            YNode t = h.get("test");
            if (t instanceof YSeq seq) {
                test = strings(seq);
            } else if (t instanceof YScalar sc && !sc.isNull()) {
                test = List.of("CMD-SHELL", sc.text()); // a string runs in a shell, as Docker does
            }
            return new Healthcheck(test, duration(h, "interval", p), duration(h, "timeout", p),
                    duration(h, "start_period", p), duration(h, "start_interval", p), integer(h, "retries"), bool(h, "disable"));
        }

        private Duration duration(YMap m, String key, String path) {
            if (!(m.get(key) instanceof YScalar s) || s.isNull()) {
                return null;
            }
            Duration d = Units.duration(s.text());
            if (d == null) {
                problem(m.keyLoc(key), path + "." + key + " must be a duration, like 10s or 1m30s, not \"" + s.text() + "\"");
            }
            return d;
        }

        private List<String> command(YMap m, String key) {
            YNode n = m.get(key);
            if (n == null || (n instanceof YScalar s && s.isNull())) {
                return null;
            }
            if (n instanceof YSeq seq) {
                return strings(seq);
            }
            try {
                return ShellWords.split(((YScalar) n).text());
            } catch (IllegalArgumentException e) {
                problem(n.loc(), key + ": " + e.getMessage());
                return null;
            }
        }

        private static String str(YMap m, String key) {
            return m.get(key) instanceof YScalar s && !s.isNull() ? s.text() : null;
        }

        private static boolean bool(YMap m, String key) {
            return m.get(key) instanceof YScalar s && Boolean.TRUE.equals(s.value());
        }

        private static Integer integer(YMap m, String key) {
            return m.get(key) instanceof YScalar s && s.value() instanceof Long l ? Math.toIntExact(l) : null;
        }

        private static List<String> strings(YNode n) {
            if (!(n instanceof YSeq seq)) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            seq.items().forEach(i -> out.add(((YScalar) i).text()));
            return Collections.unmodifiableList(out);
        }

        /** A mapping of strings; entries whose value is null (an environment variable not set) are left out. */
        private static Map<String, String> map(YMap m, String key) {
            if (!(m.get(key) instanceof YMap d)) {
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            d.entries().forEach((k, e) -> {
                if (e.value() instanceof YScalar s && !s.isNull()) {
                    out.put(k, s.text());
                }
            });
            return Collections.unmodifiableMap(out);
        }
    }
}
