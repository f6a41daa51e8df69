package io.swarmlet.cli;

import com.google.protobuf.ByteString;
import io.swarmlet.api.control.ControlApi;
import io.swarmlet.api.types.Annotations;
import io.swarmlet.api.types.Config;
import io.swarmlet.api.types.ConfigSpec;
import io.swarmlet.api.types.ConfigVersion;
import io.swarmlet.api.types.CreateConfigRequest;
import io.swarmlet.api.types.GetConfigRequest;
import io.swarmlet.api.types.ListConfigsRequest;
import io.swarmlet.api.types.RemoveConfigRequest;
import io.swarmlet.api.types.RotateConfigRequest;
import io.swarmlet.api.types.RotateConfigResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code swarmlet config ...}: docker's config verbs, plus {@code rotate}.
 * Configs are not secret: {@code config inspect} shows their data, as
 * docker's does.
 */
@Command(name = "config",
        description = "Manage swarm configs.",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
                ConfigCommands.Create.class,
                ConfigCommands.Inspect.class,
                ConfigCommands.Ls.class,
                ConfigCommands.Rm.class,
                ConfigCommands.Rotate.class,
        })
public final class ConfigCommands extends CliCommand.Group {

    /** A config as the verbs show it; its data is that of the current (last) version. */
    static PayloadCommands.Item item(Config c) {
        List<PayloadCommands.Version> versions = new ArrayList<>();
        for (ConfigVersion v : c.getVersionsList()) {
            versions.add(new PayloadCommands.Version(v.getVersion(), v.getCreatedAt(),
                    v.getSize() != 0 ? v.getSize() : v.getData().size()));
        }
        ByteString data = c.getVersionsCount() > 0 ? c.getVersions(c.getVersionsCount() - 1).getData() : c.getSpec().getData();
        return new PayloadCommands.Item(c, c.getId(), c.getSpec().getAnnotations().getName(),
                c.getSpec().getAnnotations().getLabelsMap(), "", c.getMeta(), versions, data);
    }

    static final PayloadCommands.Kind KIND = new PayloadCommands.Kind("config", false) {
        @Override
        PayloadCommands.Item create(ControlApi api, String name, Map<String, String> labels, String driver, byte[] data) {
            ConfigSpec.Builder spec = ConfigSpec.newBuilder()
                    .setAnnotations(Annotations.newBuilder().setName(name).putAllLabels(labels))
                    .setData(ByteString.copyFrom(data));
            return item(api.createConfig(CreateConfigRequest.newBuilder().setSpec(spec).build()).getConfig());
        }

        @Override
        PayloadCommands.Item get(ControlApi api, String ref) {
            return item(api.getConfig(GetConfigRequest.newBuilder().setId(ref).build()).getConfig());
        }

        @Override
        List<PayloadCommands.Item> list(ControlApi api) {
            List<PayloadCommands.Item> items = new ArrayList<>();
            for (Config c : api.listConfigs(ListConfigsRequest.getDefaultInstance()).getConfigsList()) {
                items.add(item(c));
            }
            return items;
        }

        @Override
        void remove(ControlApi api, String id) {
            api.removeConfig(RemoveConfigRequest.newBuilder().setId(id).build());
        }

        @Override
        PayloadCommands.Rotated rotate(ControlApi api, String id, byte[] data) {
            RotateConfigResponse r = api.rotateConfig(RotateConfigRequest.newBuilder().setId(id)
                    .setData(ByteString.copyFrom(data)).build());
            return new PayloadCommands.Rotated(item(r.getConfig()), r.getUpdatedServicesList());
        }
    };

    @Command(name = "create", description = "Create a config from a file or from standard input (-); prints its ID.")
    static final class Create extends PayloadCommands.Create {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "ls", aliases = "list", description = "List configs.")
    static final class Ls extends PayloadCommands.Ls {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "inspect", description = "Display detailed information on one or more configs (with --pretty, their data).")
    static final class Inspect extends PayloadCommands.Inspect {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "rm", aliases = "remove", description = "Remove one or more configs (refused while a service uses one).")
    static final class Rm extends PayloadCommands.Rm {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }

    @Command(name = "rotate", description = {"Store a new version of a config, from a file or from standard input (-).",
            "Every service that uses it (unless pinned with NAME@VERSION) rolls to it through its own update config."})
    static final class Rotate extends PayloadCommands.Rotate {
        @Override
        PayloadCommands.Kind kind() {
            return KIND;
        }
    }
}
