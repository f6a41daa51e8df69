package io.swarmlet.api.store;

import io.swarmlet.api.types.Network;
import io.swarmlet.api.types.NetworkAttachment;
import io.swarmlet.api.types.NetworkAttachmentConfig;
import io.swarmlet.api.types.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one rule for a new task's {@code networks}, shared by every manager component
 * that makes tasks (the orchestrator, the updater): one attachment per network of the
 * task spec (whose targets the control API resolved to IDs), with the network's ID,
 * the attachment's aliases and the whole network, which the executor creates on the node.
 *
 * @since 1.3
 */
public final class TaskNetworks {

    private TaskNetworks() {}

    /**
     * @param missing told the target of each network the store does not have (left out;
     *        the control API refuses unknown networks and the removal of networks in use)
     */
    public static List<NetworkAttachment> attachments(ReadTx tx, TaskSpec spec, Consumer<String> missing) {
        List<NetworkAttachment> out = new ArrayList<>();
        for (NetworkAttachmentConfig c : spec.getNetworksList()) {
            Optional<Network> n = tx.get(Kind.NETWORK, c.getTarget());
            if (n.isEmpty()) {
                missing.accept(c.getTarget());
                continue;
            }
            out.add(NetworkAttachment.newBuilder().setNetworkId(n.get().getId()).addAllAliases(c.getAliasesList())
                    .setNetwork(n.get()).build());
        }
        return out;
    }
}
