package io.swarmlet.stack.internal.compose;

import io.swarmlet.stack.internal.compose.YNode.YMap;
import io.swarmlet.stack.internal.compose.YNode.YScalar;
import io.swarmlet.stack.internal.compose.YNode.YSeq;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Merges normalized files with Docker's rules, the later file winning: mappings are merged recursively
 * (so environment, labels, networks and deploy merge key by key); ports are merged by target port and
 * protocol (so are exposed ports), volumes by target path, secrets and configs by target; {@code command}, {@code entrypoint}
 * and {@code healthcheck.test} are replaced; any other list is appended to.
 */
final class Merger {

    private static final Set<String> REPLACED = Set.of("command", "entrypoint", "healthcheck.test");

    private Merger() {
    }

    static YMap merge(YMap base, YMap override) {
        YMap out = base.copy();
        override.entries().forEach((section, e) -> {
            YNode existing = out.get(section);
            if (existing instanceof YMap em && e.value() instanceof YMap om && Normalizer.SECTIONS.contains(section)) {
                YMap merged = em.copy();
                om.entries().forEach((name, d) -> {
                    YNode prior = merged.get(name);
                    merged.put(name, prior == null ? d.keyLoc() : merged.keyLoc(name),
                            prior == null ? d.value() : node(prior, d.value(), ""));
                });
                out.put(section, out.keyLoc(section), merged);
            } else {
                out.put(section, e.keyLoc(), e.value());
            }
        });
        return out;
    }

    /** Merges one service's (or definition's) node; {@code rel} is the path inside the service. */
    private static YNode node(YNode base, YNode over, String rel) {
        if (base instanceof YMap bm && over instanceof YMap om) {
            YMap out = bm.copy();
            om.entries().forEach((k, e) -> {
                YNode prior = out.get(k);
                String p = rel.isEmpty() ? k : rel + "." + k;
                out.put(k, prior == null ? e.keyLoc() : out.keyLoc(k), prior == null ? e.value() : node(prior, e.value(), p));
            });
            return out;
        }
        if (base instanceof YSeq bs && over instanceof YSeq os && !REPLACED.contains(rel)) {
            String keyField = switch (rel) {
                case "ports", "expose" -> "port";
                case "volumes" -> "target";
                case "secrets" -> "secret";
                case "configs" -> "config";
                default -> null;
            };
            YSeq out = new YSeq(os.loc());
            if (keyField == null) {
                out.items().addAll(bs.items());
                out.items().addAll(os.items());
                return out;
            }
            Map<String, YNode> byKey = new LinkedHashMap<>();
            for (YNode n : bs.items()) {
                byKey.put(key(n, keyField), n);
            }
            for (YNode n : os.items()) {
                byKey.put(key(n, keyField), n);
            }
            out.items().addAll(byKey.values());
            return out;
        }
        return over;
    }

    private static String key(YNode n, String field) {
        YMap m = (YMap) n;
        switch (field) {
            case "port":
                return text(m, "target") + "/" + (m.get("protocol") == null ? "tcp" : text(m, "protocol"));
            case "secret":
                return m.get("target") == null ? text(m, "source") : text(m, "target");
            case "config":
                return m.get("target") == null ? "/" + text(m, "source") : text(m, "target");
            default:
                return text(m, field);
        }
    }

    private static String text(YMap m, String key) {
        YNode n = m.get(key);
        return n instanceof YScalar s ? s.text() : "";
    }
}
