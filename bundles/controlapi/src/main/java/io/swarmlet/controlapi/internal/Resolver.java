package io.swarmlet.controlapi.internal;

import com.google.protobuf.Message;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Finds the one object a user means, the way docker does: a full ID first,
 * then a name (or, for nodes, a hostname), then a unique ID prefix. An
 * unknown reference is NOT_FOUND ("No such node: q"); a prefix or name that
 * matches several objects is INVALID_ARGUMENT ("node q is ambiguous (2
 * matches found)").
 */
final class Resolver {

    private Resolver() {}

    /**
     * @param alias a second name to match exactly (hostname for nodes), or null
     */
    static <T extends Message> T resolve(ReadTx tx, Kind<T> kind, String ref, Function<T, String> alias) {
        if (ref == null || ref.isBlank()) {
            throw ControlException.invalid(kind.name() + " ID or name must not be empty");
        }
        Optional<T> exact = tx.get(kind, ref);
        if (exact.isPresent()) {
            return exact.get();
        }
        List<T> named = tx.find(kind, o -> ref.equals(kind.objectName(o)) || (alias != null && ref.equals(alias.apply(o))));
        if (named.size() == 1) {
            return named.get(0);
        }
        if (named.size() > 1) {
            throw ambiguous(kind, ref, named.size());
        }
        List<T> prefixed = tx.find(kind, o -> kind.id(o).startsWith(ref));
        if (prefixed.size() == 1) {
            return prefixed.get(0);
        }
        if (prefixed.size() > 1) {
            throw ambiguous(kind, ref, prefixed.size());
        }
        throw ControlException.notFound("No such " + kind.name() + ": " + ref);
    }

    private static ControlException ambiguous(Kind<?> kind, String ref, int n) {
        return ControlException.invalid(kind.name() + " " + ref + " is ambiguous (" + n + " matches found)");
    }
}
