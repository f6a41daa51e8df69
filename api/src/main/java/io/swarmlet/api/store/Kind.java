package io.swarmlet.api.store;

import com.google.protobuf.Message;
import io.swarmlet.api.types.Cluster;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.Meta;
import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.Node;
import io.swarmlet.api.types.Plugin;
import io.swarmlet.api.types.Secret;
import io.swarmlet.api.types.Service;
import io.swarmlet.api.types.StoreObject;
import io.swarmlet.api.types.Task;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The kinds of objects the store holds, with the few accessors the store needs
 * to treat the generated messages alike (ID, meta, name, wrapping).
 *
 * @param <T> the message type of this kind
 */
public final class Kind<T extends Message> {

    public static final Kind<Node> NODE = new Kind<>("node", Node.class, Node::getId, Node::getMeta,
            n -> n.getSpec().getAnnotations().getName(), (n, m) -> n.toBuilder().setMeta(m).build(),
            n -> StoreObject.newBuilder().setNode(n).build(), false);
    public static final Kind<Service> SERVICE = new Kind<>("service", Service.class, Service::getId, Service::getMeta,
            s -> s.getSpec().getAnnotations().getName(), (s, m) -> s.toBuilder().setMeta(m).build(),
            s -> StoreObject.newBuilder().setService(s).build(), true);
    public static final Kind<Task> TASK = new Kind<>("task", Task.class, Task::getId, Task::getMeta,
            t -> t.getAnnotations().getName(), (t, m) -> t.toBuilder().setMeta(m).build(),
            t -> StoreObject.newBuilder().setTask(t).build(), false);
    public static final Kind<Cluster> CLUSTER = new Kind<>("cluster", Cluster.class, Cluster::getId, Cluster::getMeta,
            c -> c.getSpec().getAnnotations().getName(), (c, m) -> c.toBuilder().setMeta(m).build(),
            c -> StoreObject.newBuilder().setCluster(c).build(), true);
    public static final Kind<Secret> SECRET = new Kind<>("secret", Secret.class, Secret::getId, Secret::getMeta,
            s -> s.getSpec().getAnnotations().getName(), (s, m) -> s.toBuilder().setMeta(m).build(),
            s -> StoreObject.newBuilder().setSecret(s).build(), true);
    public static final Kind<Config> CONFIG = new Kind<>("config", Config.class, Config::getId, Config::getMeta,
            c -> c.getSpec().getAnnotations().getName(), (c, m) -> c.toBuilder().setMeta(m).build(),
            c -> StoreObject.newBuilder().setConfig(c).build(), true);
    public static final Kind<Network> NETWORK = new Kind<>("network", Network.class, Network::getId, Network::getMeta,
            n -> n.getSpec().getAnnotations().getName(), (n, m) -> n.toBuilder().setMeta(m).build(),
            n -> StoreObject.newBuilder().setNetwork(n).build(), true);

    /** Cluster-wide plugins ({@code plugin install --cluster}), jar included. @since 1.1 */
    public static final Kind<Plugin> PLUGIN = new Kind<>("plugin", Plugin.class, Plugin::getId, Plugin::getMeta,
            p -> p.getSpec().getAnnotations().getName(), (p, m) -> p.toBuilder().setMeta(m).build(),
            p -> StoreObject.newBuilder().setPlugin(p).build(), true);

    /** Every kind, in the order snapshots write them. */
    public static final List<Kind<?>> ALL = List.of(CLUSTER, NODE, NETWORK, SECRET, CONFIG, PLUGIN, SERVICE, TASK);

    private final String name;
    private final Class<T> type;
    private final Function<T, String> id;
    private final Function<T, Meta> meta;
    private final Function<T, String> objectName;
    private final BiFunction<T, Meta, T> withMeta;
    private final Function<T, StoreObject> wrap;
    private final boolean uniqueNames;

    private Kind(String name, Class<T> type, Function<T, String> id, Function<T, Meta> meta,
                 Function<T, String> objectName, BiFunction<T, Meta, T> withMeta,
                 Function<T, StoreObject> wrap, boolean uniqueNames) {
        this.name = name;
        this.type = type;
        this.id = id;
        this.meta = meta;
        this.objectName = objectName;
        this.withMeta = withMeta;
        this.wrap = wrap;
        this.uniqueNames = uniqueNames;
    }

    /** The lower-case name users see in messages ("node", "service"...). */
    public String name() { return name; }

    public Class<T> type() { return type; }

    public String id(T object) { return id.apply(object); }

    public Meta meta(T object) { return meta.apply(object); }

    /** The object's name ("" where it has none). */
    public String objectName(T object) { return objectName.apply(object); }

    public T withMeta(T object, Meta m) { return withMeta.apply(object, m); }

    public StoreObject wrap(T object) { return wrap.apply(object); }

    /** Whether two live objects of this kind may not share a name. */
    public boolean uniqueNames() { return uniqueNames; }

    /** The kind of a wrapped object. */
    public static Kind<?> of(StoreObject o) {
        switch (o.getObjectCase()) {
            case NODE: return NODE;
            case SERVICE: return SERVICE;
            case TASK: return TASK;
            case CLUSTER: return CLUSTER;
            case SECRET: return SECRET;
            case CONFIG: return CONFIG;
            case NETWORK: return NETWORK;
            case PLUGIN: return PLUGIN;
            default: throw new IllegalArgumentException("store object with no object set");
        }
    }

    /** The message inside a wrapped object. */
    public static Message unwrap(StoreObject o) {
        switch (o.getObjectCase()) {
            case NODE: return o.getNode();
            case SERVICE: return o.getService();
            case TASK: return o.getTask();
            case CLUSTER: return o.getCluster();
            case SECRET: return o.getSecret();
            case CONFIG: return o.getConfig();
            case NETWORK: return o.getNetwork();
            case PLUGIN: return o.getPlugin();
            default: throw new IllegalArgumentException("store object with no object set");
        }
    }

    /** Casts a message known to be of this kind. */
    public T cast(Message m) { return type.cast(m); }

    @Override
    public String toString() { return name; }
}
