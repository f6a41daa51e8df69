package io.swarmlet.api.store;

import com.google.protobuf.Message;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A consistent read of the local copy of the store. Valid only inside the
 * {@link Store#view} or {@link Store#update} call that handed it out.
 */
@org.osgi.annotation.versioning.ProviderType
public interface ReadTx {

    /** The object of that kind with exactly that ID. */
    <T extends Message> Optional<T> get(Kind<T> kind, String id);

    /** Every object of that kind that matches, in ID order. */
    <T extends Message> List<T> find(Kind<T> kind, Predicate<? super T> filter);

    /** Every object of that kind, in ID order. */
    default <T extends Message> List<T> all(Kind<T> kind) {
        return find(kind, o -> true);
    }

    /** The live object of that kind with that name (kinds with unique names only). */
    <T extends Message> Optional<T> byName(Kind<T> kind, String name);

    /** The Raft index this view reflects. */
    long index();
}
