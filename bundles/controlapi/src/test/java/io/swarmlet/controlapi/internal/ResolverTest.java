package io.swarmlet.controlapi.internal;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Message;
import io.swarmlet.api.control.ControlException;
import io.swarmlet.api.store.Kind;
import io.swarmlet.api.store.ReadTx;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.NodeDescription;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.ServiceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ResolverTest {

    /** A read view over a fixed list of objects. */
    static final class ListTx implements ReadTx {
        final List<Message> objects = new ArrayList<>();

        @Override
        public <T extends Message> Optional<T> get(Kind<T> kind, String id) {
            return find(kind, o -> kind.id(o).equals(id)).stream().findFirst();
        }

        @Override
        public <T extends Message> List<T> find(Kind<T> kind, Predicate<? super T> filter) {
            List<T> out = new ArrayList<>();
            for (Message m : objects) {
                if (kind.type().isInstance(m) && filter.test(kind.cast(m))) {
                    out.add(kind.cast(m));
                }
            }
            return out;
        }

        @Override
        public <T extends Message> Optional<T> byName(Kind<T> kind, String name) {
            return find(kind, o -> kind.objectName(o).equals(name)).stream().findFirst();
        }

        @Override
        public long index() { return 1; }
    }

    static Node node(String id, String hostname) {
        return Node.newBuilder().setId(id).setDescription(NodeDescription.newBuilder().setHostname(hostname)).build();
    }

    static Service service(String id, String name) {
        return Service.newBuilder().setId(id)
                .setSpec(ServiceSpec.newBuilder().setAnnotations(Annotations.newBuilder().setName(name))).build();
    }

    final ListTx tx = new ListTx();

    ResolverTest() {
        tx.objects.add(node("abc111", "mgmt-01"));
        tx.objects.add(node("abd222", "work-01"));
        tx.objects.add(node("xyz333", "work-02"));
        tx.objects.add(service("q1w2e3", "web"));
        tx.objects.add(service("q1zzzz", "q1"));
    }

    @Test
    void fullIdWins() {
        assertEquals("abc111", Resolver.resolve(tx, Kind.NODE, "abc111", n -> n.getDescription().getHostname()).getId());
    }

    @Test
    void uniquePrefixResolves() {
        assertEquals("xyz333", Resolver.resolve(tx, Kind.NODE, "x", n -> n.getDescription().getHostname()).getId());
        assertEquals("abd222", Resolver.resolve(tx, Kind.NODE, "abd", null).getId());
    }

    @Test
    void hostnameAliasResolves() {
        assertEquals("abd222", Resolver.resolve(tx, Kind.NODE, "work-01", n -> n.getDescription().getHostname()).getId());
    }

    @Test
    void nameBeatsPrefix() {
        // "q1" is both the name of one service and a prefix of both IDs
        assertEquals("q1zzzz", Resolver.resolve(tx, Kind.SERVICE, "q1", null).getId());
        assertEquals("q1w2e3", Resolver.resolve(tx, Kind.SERVICE, "web", null).getId());
    }

    @Test
    void ambiguousPrefixIsAnError() {
        ControlException e = assertThrows(ControlException.class, () -> Resolver.resolve(tx, Kind.NODE, "ab", null));
        assertEquals(ControlException.Code.INVALID_ARGUMENT, e.code());
        assertEquals("node ab is ambiguous (2 matches found)", e.getMessage());
    }

    @Test
    void unknownIsNotFound() {
        ControlException e = assertThrows(ControlException.class, () -> Resolver.resolve(tx, Kind.SERVICE, "nope", null));
        assertEquals(ControlException.Code.NOT_FOUND, e.code());
        assertEquals("No such service: nope", e.getMessage());
    }

    @Test
    void emptyIsInvalid() {
        assertEquals(ControlException.Code.INVALID_ARGUMENT,
                assertThrows(ControlException.class, () -> Resolver.resolve(tx, Kind.NODE, " ", null)).code());
    }
}
