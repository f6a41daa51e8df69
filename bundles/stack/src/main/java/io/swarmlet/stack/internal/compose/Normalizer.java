package io.swarmlet.stack.internal.compose;

import io.swarmlet.stack.internal.compose.YNode.YMap;
import io.swarmlet.stack.internal.compose.YNode.YScalar;
import io.swarmlet.stack.internal.compose.YNode.YSeq;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one validated file into the long syntax, so that merging and mapping see one shape: environment,
 * labels and networks as mappings; ports, volumes, secrets and configs as lists of long-syntax mappings;
 * {@code env_file} and {@code extra_hosts} as lists of strings; empty top-level definitions as empty
 * mappings; {@code x-} fields dropped. Short-syntax mistakes are reported with their file and line.
 */
final class Normalizer {

    private static final Pattern PORT = Pattern.compile(
            "(?:(?:(\\[[0-9a-fA-F:.]+\\]|[0-9.]+):)?([0-9]*(?:-[0-9]+)?):)?([0-9]+(?:-[0-9]+)?)(?:/([a-z]+))?");
    static final List<String> SECTIONS = List.of("services", "networks", "volumes", "secrets", "configs");

    private final Map<String, String> env;

    Normalizer(Map<String, String> env) {
        this.env = env;
    }

    YMap file(YMap root) {
        YMap out = new YMap(root.loc());
        root.entries().forEach((k, e) -> {
            if (k.startsWith("x-")) {
                return;
            }
            if (!SECTIONS.contains(k)) {
                out.put(k, e.keyLoc(), e.value());
                return;
            }
            YMap section = new YMap(e.value().loc());
            if (e.value() instanceof YMap m) {
                m.entries().forEach((name, d) -> {
                    YMap def = d.value() instanceof YMap dm ? dm : new YMap(d.keyLoc());
                    String path = k + "." + name;
                    section.put(name, d.keyLoc(), k.equals("services") ? service(def, path) : definition(def, d.keyLoc()));
                });
            }
            out.put(k, e.keyLoc(), section);
        });
        return out;
    }

    private YMap definition(YMap def, Loc at) {
        YMap out = new YMap(at);
        def.entries().forEach((k, e) -> {
            if (k.startsWith("x-")) {
                return;
            }
            YNode v = e.value();
            if (k.equals("labels")) {
                v = dict(v, false);
            } else if (k.equals("external") && v instanceof YMap ext) {
                // legacy "external: {name: x}": external, under that name
                if (ext.get("name") != null && def.get("name") == null) {
                    out.put("name", ext.keyLoc("name"), ext.get("name"));
                }
                v = new YScalar(v.loc(), Boolean.TRUE, true);
            }
            out.put(k, e.keyLoc(), v);
        });
        return out;
    }

    private YMap service(YMap svc, String path) {
        YMap out = new YMap(svc.loc());
        svc.entries().forEach((k, e) -> {
            if (k.startsWith("x-")) {
                return;
            }
            YNode v = e.value();
            String p = path + "." + k;
            switch (k) {
                case "environment" -> v = dict(v, true);
                case "labels" -> v = dict(v, false);
                case "networks" -> v = networks(v);
                case "ports" -> v = ports((YSeq) v, p);
                case "expose" -> v = expose((YSeq) v, p);
                case "volumes" -> v = volumes((YSeq) v, p);
                case "secrets", "configs" -> v = fileRefs((YSeq) v);
                case "env_file" -> v = envFiles(v);
                case "extra_hosts" -> v = extraHosts(v);
                case "deploy" -> v = v instanceof YMap d ? deploy(d) : new YMap(v.loc());
                default -> {
                }
            }
            out.put(k, e.keyLoc(), v);
        });
        return out;
    }

    private YMap deploy(YMap d) {
        YMap out = new YMap(d.loc());
        d.entries().forEach((k, e) -> out.put(k, e.keyLoc(), k.equals("labels") ? dict(e.value(), false) : e.value()));
        return out;
    }

    /** A list of {@code KEY=VALUE} (or a mapping) as a mapping of strings; null values for keys without one. */
    private YMap dict(YNode v, boolean fromEnvironment) {
        if (v instanceof YMap m) {
            YMap out = new YMap(m.loc());
            m.entries().forEach((k, e) -> {
                YScalar s = (YScalar) e.value();
                Object value = s.isNull() ? (fromEnvironment ? env.get(k) : "") : s.text();
                out.put(k, e.keyLoc(), new YScalar(s.loc(), value, false));
            });
            return out;
        }
        YMap out = new YMap(v.loc());
        for (YNode item : ((YSeq) v).items()) {
            String text = ((YScalar) item).text();
            int eq = text.indexOf('=');
            String key = eq < 0 ? text : text.substring(0, eq);
            Object value = eq >= 0 ? text.substring(eq + 1) : fromEnvironment ? env.get(key) : "";
            out.put(key, item.loc(), new YScalar(item.loc(), value, false));
        }
        return out;
    }

    private static YMap networks(YNode v) {
        if (v instanceof YMap m) {
            return m;
        }
        YMap out = new YMap(v.loc());
        for (YNode item : ((YSeq) v).items()) {
            out.put(((YScalar) item).text(), item.loc(), new YScalar(item.loc(), null, true));
        }
        return out;
    }

    private static YSeq ports(YSeq v, String path) {
        YSeq out = new YSeq(v.loc());
        for (int i = 0; i < v.items().size(); i++) {
            YNode item = v.items().get(i);
            if (item instanceof YMap m) {
                YMap p = m.copy();
                p.entries().keySet().removeIf(k -> k.startsWith("x-"));
                if (p.get("published") instanceof YScalar pub && pub.value() instanceof String s) {
                    Long n = parsePort(s);
                    if (n == null) {
                        throw new ComposeException(p.keyLoc("published"),
                                path + "." + i + ".published must be a port number, not \"" + s + "\"");
                    }
                    p.put("published", p.keyLoc("published"), new YScalar(pub.loc(), n, true));
                }
                out.items().add(p);
                continue;
            }
            String text = ((YScalar) item).text();
            Matcher m = PORT.matcher(text);
            String bad = path + "." + i + " invalid port \"" + text + "\"";
            if (!m.matches()) {
                throw new ComposeException(item.loc(), bad + ": expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]");
            }
            String protocol = m.group(4) == null ? "tcp" : m.group(4);
            if (!List.of("tcp", "udp", "sctp").contains(protocol)) {
                throw new ComposeException(item.loc(), bad + ": unknown protocol " + protocol);
            }
            long[] targets = range(m.group(3));
            long[] published = m.group(2) == null || m.group(2).isEmpty() ? null : range(m.group(2));
            if (targets == null || (m.group(2) != null && !m.group(2).isEmpty() && published == null)) {
                throw new ComposeException(item.loc(), bad + ": port numbers go from 1 to 65535");
            }
            int count = (int) (targets[1] - targets[0] + 1);
            if (published != null && published[1] - published[0] + 1 != count) {
                throw new ComposeException(item.loc(), bad + ": the published and target ranges differ in size");
            }
            for (int k = 0; k < count; k++) {
                YMap p = new YMap(item.loc());
                p.put("target", item.loc(), new YScalar(item.loc(), targets[0] + k, true));
                if (published != null) {
                    p.put("published", item.loc(), new YScalar(item.loc(), published[0] + k, true));
                }
                p.put("protocol", item.loc(), new YScalar(item.loc(), protocol, true));
                p.put("mode", item.loc(), new YScalar(item.loc(), "ingress", true));
                if (m.group(1) != null) {
                    p.put("host_ip", item.loc(), new YScalar(item.loc(), m.group(1).replaceAll("[\\[\\]]", ""), true));
                }
                out.items().add(p);
            }
        }
        return out;
    }

    /** {@code expose} entries ({@code 80}, {@code "8000-8001"}, {@code "53/udp"}) as {@code {target, protocol}} mappings. */
    private static YSeq expose(YSeq v, String path) {
        YSeq out = new YSeq(v.loc());
        for (int i = 0; i < v.items().size(); i++) {
            YNode item = v.items().get(i);
            String text = ((YScalar) item).text().trim();
            int slash = text.indexOf('/');
            String protocol = slash < 0 ? "tcp" : text.substring(slash + 1);
            String bad = path + "." + i + " invalid port \"" + text + "\"";
            if (!List.of("tcp", "udp", "sctp").contains(protocol)) {
                throw new ComposeException(item.loc(), bad + ": unknown protocol " + protocol);
            }
            long[] targets = range(slash < 0 ? text : text.substring(0, slash));
            if (targets == null) {
                throw new ComposeException(item.loc(), bad + ": expected PORT[-PORT][/PROTOCOL], port numbers from 1 to 65535");
            }
            for (long t = targets[0]; t <= targets[1]; t++) {
                YMap p = new YMap(item.loc());
                p.put("target", item.loc(), new YScalar(item.loc(), t, true));
                p.put("protocol", item.loc(), new YScalar(item.loc(), protocol, true));
                out.items().add(p);
            }
        }
        return out;
    }

    private static Long parsePort(String s) {
        try {
            long n = Long.parseLong(s.trim());
            return n >= 1 && n <= 65535 ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long[] range(String s) {
        int dash = s.indexOf('-');
        Long from = parsePort(dash < 0 ? s : s.substring(0, dash));
        Long to = dash < 0 ? from : parsePort(s.substring(dash + 1));
        if (from == null || to == null || to < from) {
            return null;
        }
        return new long[] {from, to};
    }

    private static YSeq volumes(YSeq v, String path) {
        YSeq out = new YSeq(v.loc());
        for (int i = 0; i < v.items().size(); i++) {
            YNode item = v.items().get(i);
            if (item instanceof YMap m) {
                out.items().add(m);
                continue;
            }
            String text = ((YScalar) item).text();
            String[] parts = text.split(":", -1);
            YMap vol = new YMap(item.loc());
            String source = null;
            String target;
            String mode = null;
            if (parts.length == 1) {
                target = parts[0];
            } else if (parts.length == 2) {
                source = parts[0];
                target = parts[1];
            } else if (parts.length == 3) {
                source = parts[0];
                target = parts[1];
                mode = parts[2];
            } else {
                throw new ComposeException(item.loc(), path + "." + i + " invalid volume specification \"" + text + "\"");
            }
            if (target.isEmpty() || (source != null && source.isEmpty())) {
                throw new ComposeException(item.loc(), path + "." + i + " invalid volume specification \"" + text + "\"");
            }
            boolean bind = source != null && (source.startsWith("/") || source.startsWith(".") || source.startsWith("~"));
            vol.put("type", item.loc(), new YScalar(item.loc(), bind ? "bind" : "volume", true));
            if (source != null) {
                vol.put("source", item.loc(), new YScalar(item.loc(), source, true));
            }
            vol.put("target", item.loc(), new YScalar(item.loc(), target, true));
            if (mode != null) {
                boolean ro = false;
                for (String opt : mode.split(",")) {
                    switch (opt) {
                        case "ro" -> ro = true;
                        case "rw", "z", "Z", "nocopy", "rprivate", "private", "rshared", "shared", "rslave", "slave" -> {
                        }
                        default -> throw new ComposeException(item.loc(),
                                path + "." + i + " invalid volume specification \"" + text + "\": unknown mode " + opt);
                    }
                }
                vol.put("read_only", item.loc(), new YScalar(item.loc(), ro, true));
            }
            out.items().add(vol);
        }
        return out;
    }

    private static YSeq fileRefs(YSeq v) {
        YSeq out = new YSeq(v.loc());
        for (YNode item : v.items()) {
            if (item instanceof YMap m) {
                out.items().add(m);
            } else {
                YMap ref = new YMap(item.loc());
                ref.put("source", item.loc(), item);
                out.items().add(ref);
            }
        }
        return out;
    }

    private static YSeq envFiles(YNode v) {
        YSeq out = new YSeq(v.loc());
        List<YNode> items = v instanceof YSeq s ? s.items() : List.of(v);
        for (YNode item : items) {
            out.items().add(item instanceof YMap m ? m.get("path") : item);
        }
        return out;
    }

    private static YSeq extraHosts(YNode v) {
        if (v instanceof YSeq s) {
            return s;
        }
        YSeq out = new YSeq(v.loc());
        ((YMap) v).entries().forEach((host, e) -> {
            List<YNode> ips = e.value() instanceof YSeq s ? s.items() : List.of(e.value());
            for (YNode ip : ips) {
                out.items().add(new YScalar(ip.loc(), host + ":" + ((YScalar) ip).text(), false));
            }
        });
        return out;
    }
}
