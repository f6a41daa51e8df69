package io.swarmlet.dockerapi.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swarmlet.api.types.Meta;
import java.util.Locale;
import java.util.Map;

/**
 * Small pieces of Docker's object shapes shared by the swarm routes: the version and
 * times every swarm object carries, enum values in Docker's lower case, the
 * {@code ?version=} an update names, and the label filter.
 */
final class Shapes {

    private Shapes() {}

    /** {@code Version{Index}}, {@code CreatedAt}, {@code UpdatedAt} from the store's meta. */
    static ObjectNode meta(ObjectNode o, Meta m) {
        o.putObject("Version").put("Index", m.getVersion());
        o.put("CreatedAt", Json.time(m.getCreatedAt()));
        o.put("UpdatedAt", Json.time(m.getUpdatedAt()));
        return o;
    }

    /** A protobuf enum value as Docker spells it: {@code DRAIN} is "drain". */
    static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** Docker's label filter: every {@code key} present, every {@code key=value} equal. */
    static boolean labelsMatch(Map<String, String> want, Map<String, String> have) {
        for (Map.Entry<String, String> w : want.entrySet()) {
            if (!have.containsKey(w.getKey()) || (!w.getValue().isEmpty() && !w.getValue().equals(have.get(w.getKey())))) {
                return false;
            }
        }
        return true;
    }

    /** True when no value is wanted or {@code s} starts with one of them. */
    static boolean anyPrefix(java.util.Set<String> wanted, String... candidates) {
        if (wanted.isEmpty()) {
            return true;
        }
        for (String w : wanted) {
            for (String s : candidates) {
                if (s.startsWith(w)) {
                    return true;
                }
            }
        }
        return false;
    }
}
