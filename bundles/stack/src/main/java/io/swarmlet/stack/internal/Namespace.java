package io.swarmlet.stack.internal;

import io.swarmlet.api.control.ControlException;
import io.swarmlet.stack.internal.compose.Project;
import java.util.regex.Pattern;

/**
 * A stack's name and how it names the objects of its compose files, as Docker's {@code convert.Namespace}:
 * {@code <stack>_<key>}, unless the file gives a {@code name:} or the object is {@code external}
 * (then its {@code name:} or its key).
 */
record Namespace(String name) {

    /** What the control API accepts as a service name; a stack's objects must fit it once prefixed. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");

    /** The network services use when they name none. */
    static final String DEFAULT_NETWORK = "default";

    /**
     * Docker's check ({@code invalid stack name: ""} for a name of only blanks and quotes), then the
     * characters the cluster accepts in object names.
     */
    static Namespace of(String name) {
        if (name.chars().allMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'')) {
            throw ControlException.invalid("invalid stack name: \"" + name + "\"");
        }
        if (!NAME.matcher(name).matches()) {
            throw ControlException.invalid("invalid stack name: \"" + name
                    + "\": use letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return new Namespace(name);
    }

    String scope(String key) {
        return name + "_" + key;
    }

    String network(String key, Project.Network n) {
        if (n == null) {
            return scope(key);
        }
        return n.name() != null ? n.name() : n.external() ? key : scope(key);
    }

    String fileObject(String key, Project.FileObject o) {
        return o.name() != null ? o.name() : o.external() ? key : scope(key);
    }

    String volume(String key, Project.Volume v) {
        if (v == null) {
            return scope(key);
        }
        return v.name() != null ? v.name() : v.external() ? key : scope(key);
    }
}
